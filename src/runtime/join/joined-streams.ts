// STUB
import type { DataStream } from "../datastream/data-stream.js";
export class JoinedStreams<T1, T2> { constructor(readonly first: DataStream<T1>, readonly second: DataStream<T2>) {} }
