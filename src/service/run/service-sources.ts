import { basename } from "node:path";
import { Deserializers, FileSource, JetStreamSource, KafkaSource, type DeadLetter, type Deserializer, type LineFormat } from "../../connectors/index.js";
import type { ReaderOutput, Source, SourceReader, SourceReaderContext, SourceSplit } from "../../runtime/index.js";
import type { SourceConfig } from "../config/index.js";
import type { RuleEvent } from "../pattern-file/index.js";
import type { EventIdentities } from "./event-identity.js";

/** A JSON-lines record with the line it was on. */
interface LineRecord {
  readonly event: RuleEvent;
  readonly line: number;
}

/** JSON lines whose records must be JSON objects, each with its line number. */
const positionedJsonLines: LineFormat<LineRecord> = {
  name: "jsonl",
  extension: ".jsonl",
  parse(text, at) {
    const event = JSON.parse(text) as unknown;
    if (typeof event !== "object" || event === null || Array.isArray(event)) throw new Error("not a JSON object");
    return { event: event as RuleEvent, line: at?.line ?? 0 };
  },
};

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Kafka and JetStream payloads: JSON objects only. A payload that is JSON but not an object (`42`,
 * `[1]`, `null`) is a dead letter, as a file line is, instead of reaching every rule to be
 * counted as skipped.
 */
const jsonObjects: Deserializer<RuleEvent> = Deserializers.of("json", (payload) => {
  const event = JSON.parse(utf8.decode(payload)) as unknown;
  if (typeof event !== "object" || event === null || Array.isArray(event)) throw new Error("not a JSON object");
  return event as RuleEvent;
});

/**
 * A file source whose records are the events themselves, each filed under its position
 * (`<file name>:<line>`, as `vigil replay` names it) in `ids`. The reader is the file source's,
 * with its output wrapped; positions, checkpoints and restores are the file source's.
 */
class PositionedFileSource implements Source<RuleEvent, SourceSplit> {
  readonly boundedness;
  constructor(
    private readonly inner: FileSource<LineRecord>,
    private readonly ids: EventIdentities,
  ) {
    this.boundedness = inner.boundedness;
  }

  createSplits(ctx: { parallelism: number }): Promise<SourceSplit[]> {
    return this.inner.createSplits(ctx);
  }

  createReader(ctx: SourceReaderContext): SourceReader<RuleEvent, SourceSplit> {
    const reader = this.inner.createReader(ctx) as SourceReader<LineRecord, SourceSplit>;
    const positions = this.ids.positions;
    let out: ReaderOutput<RuleEvent> | undefined;
    const wrapped: ReaderOutput<LineRecord> = {
      collect(value, splitId, timestamp) {
        // splitId is the file's path, in both bounded and watching mode
        positions.set(value.event as object, `${basename(splitId)}:${value.line}`);
        out!.collect(value.event, splitId, timestamp);
      },
      splitFinished: (splitId) => out!.splitFinished(splitId),
    };
    return {
      addSplits: (splits) => reader.addSplits(splits),
      pollNext: (output) => {
        out = output;
        return reader.pollNext(wrapped);
      },
      ...(reader.available && { available: () => reader.available!() }),
      snapshotState: (id) => reader.snapshotState(id),
      ...(reader.notifyCheckpointComplete && { notifyCheckpointComplete: (id: number) => reader.notifyCheckpointComplete!(id) }),
      ...(reader.close && { close: () => reader.close!() }),
    };
  }
}

/** Sources handed in by name in this process, in place of the configured ones: see {@link provideSource}. */
const provided = new Map<string, Source<RuleEvent, SourceSplit>>();

/**
 * Makes {@link buildSource} return `source` for the source named `name` (the config's entry still
 * gives its outOfOrderness and idleness), until the returned function is called. For embedding
 * the service's job with an in-process feed: bench/latency drives it with a paced generator.
 */
export function provideSource(name: string, source: Source<RuleEvent, SourceSplit>): () => void {
  provided.set(name, source);
  return () => {
    if (provided.get(name) === source) provided.delete(name);
  };
}

/**
 * The runtime source for a configured one. File records carry their position (alert ids as
 * `vigil replay` makes them); Kafka and JetStream records are identified by content. Records that
 * do not decode go to `deadLetters` (the connectors also log the first few).
 */
export function buildSource(name: string, config: SourceConfig, ids: EventIdentities, deadLetters: (d: DeadLetter) => void): Source<RuleEvent, SourceSplit> {
  const given = provided.get(name);
  if (given !== undefined) return given;
  switch (config.type) {
    case "file":
      return new PositionedFileSource(
        new FileSource<LineRecord>({
          name,
          paths: config.paths,
          format: positionedJsonLines,
          deadLetters,
          ...(config.watch && { monitor: { intervalMs: config.watchIntervalMs } }),
        }),
        ids,
      );
    case "kafka":
      return new KafkaSource<RuleEvent>({
        name,
        topics: config.topics,
        deserializer: jsonObjects,
        deadLetters,
        ...(config.groupId !== undefined && { groupId: config.groupId }),
        ...(config.offsetReset !== undefined && { offsetReset: config.offsetReset }),
      }) as unknown as Source<RuleEvent, SourceSplit>;
    case "jetstream":
      return new JetStreamSource<RuleEvent>({
        name,
        stream: config.stream,
        deserializer: jsonObjects,
        deadLetters,
        ...(config.consumer !== undefined && { consumer: config.consumer }),
        ...(config.filterSubjects !== undefined && { filterSubjects: config.filterSubjects }),
        ...(config.startFrom !== undefined && { startFrom: config.startFrom }),
      }) as unknown as Source<RuleEvent, SourceSplit>;
  }
}
