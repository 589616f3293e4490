/** File connectors: a replayable source of JSON lines and CSV (bounded, or watching for new files) and an exactly-once part-file sink. */
export {
  FileSource,
  jsonLinesFormat,
  type FileSourceOptions,
  type FileSplit,
  type FileWatchSplit,
  type FileSourceSplit,
  type FileMonitorOptions,
  type LineFormat,
} from "./file-source.js";
export { CsvFormat, csvFormat, type CsvFormatOptions, type CsvColumn, type CsvColumnType } from "./csv-format.js";
export { FileSink, type FileSinkOptions, type FileTransaction } from "./file-sink.js";
export { readCommitted, readCommittedCsv, committedParts } from "./committed.js";
