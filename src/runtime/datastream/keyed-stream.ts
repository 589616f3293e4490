// KeyedStream lives beside DataStream (it extends it, and DataStream.keyBy creates it): one module
// keeps the two classes out of an import cycle.
export { KeyedStream } from "./data-stream.js";
