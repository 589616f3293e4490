import type { StateKey } from "../../state/api.js";
import type { KeySelector } from "../operator.js";
import { KeyedStream, type DataStream } from "./data-stream.js";

/**
 * Flink's `DataStreamUtils`: what a job can declare about a stream that the API cannot see.
 */
export class DataStreamUtils {
  private constructor() {}

  /**
   * Treats `stream` as already keyed by `keySelector`, without the hash exchange of `keyBy`: subtask
   * i of the next operator reads subtask i of `stream` (a forward edge, so the two chain and no
   * record crosses threads). Use it when the source already delivers to each subtask exactly the
   * keys whose key groups that subtask owns (`subtaskForKeyGroup(maxParallelism, parallelism,
   * keyGroupFor(key, maxParallelism))` is i), as a topic partitioned that way.
   * `stream` and the operator after it need the same parallelism. Unlike Flink, which trusts the
   * claim, a key delivered to the wrong subtask fails the job (`JOB_KEY_NOT_PARTITIONED`, naming
   * the key and the subtask that owns it) when it first gets keyed state there, instead of giving
   * wrong results: both state backends refuse entries outside their key groups.
   */
  static reinterpretAsKeyedStream<T, K extends StateKey>(stream: DataStream<T>, keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    const t = stream.env.addTransformation({
      kind: "partition",
      name: "ReinterpretAsKeyed",
      input: stream.transformation,
      partitioner: { kind: "forward" },
    });
    return new KeyedStream<T, K>(stream.env, t, keySelector);
  }
}
