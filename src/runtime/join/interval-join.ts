// STUB
import type { KeyedStream } from "../datastream/keyed-stream.js";
export class IntervalJoin<T1, T2, K> { constructor(readonly first: KeyedStream<T1, any>, readonly second: KeyedStream<T2, any>) {} declare readonly __k?: K; }
