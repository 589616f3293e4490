/** File connectors: a replayable JSON-lines source and an exactly-once part-file sink. */
export { FileSource, jsonLinesFormat, type FileSourceOptions, type FileSplit, type LineFormat } from "./file-source.js";
export { FileSink, readCommitted, committedParts, type FileSinkOptions, type FileTransaction } from "./file-sink.js";
