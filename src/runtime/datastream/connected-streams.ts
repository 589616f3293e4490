import { JobError } from "../../errors.js";
import type { StateKey } from "../../state/api.js";
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction } from "../functions/broadcast-process-function.js";
import type {
  CoFlatMapFunction,
  CoMapFunction,
  CoProcessFunction,
  KeyedCoProcessFunction,
} from "../functions/process-function.js";
import type { TwoInputOperatorFactory } from "../graph/transformation.js";
import type { KeySelector } from "../operator.js";
import { copyFunction } from "../functions/functions.js";
import { BroadcastProcessOperator } from "../operators/broadcast-process-operator.js";
import { CoProcessOperator, coFlatMapAsProcess, coMapAsProcess } from "../operators/co-process-operator.js";
import type { StreamExecutionEnvironment } from "../environment.js";
import { BroadcastStream } from "./broadcast-stream.js";
import { DataStream } from "./data-stream.js";
import { KeyedStream } from "./keyed-stream.js";

/**
 * Two streams joined for a two-input function, as Flink's `ConnectedStreams` (and
 * `BroadcastConnectedStream` when the second is a `BroadcastStream`). When both are keyed (with
 * keys of the same meaning) the function has keyed state and timers.
 */
export class ConnectedStreams<T1, T2> {
  constructor(
    readonly env: StreamExecutionEnvironment,
    readonly first: DataStream<T1>,
    readonly second: DataStream<T2> | BroadcastStream<T2>,
  ) {}

  /** Keys both inputs (records with equal keys meet in one subtask). */
  keyBy<K extends StateKey>(key1: KeySelector<T1, K>, key2: KeySelector<T2, K>): ConnectedStreams<T1, T2> {
    if (this.second instanceof BroadcastStream) throw new JobError("keyBy on a broadcast-connected stream: key the first stream instead");
    return new ConnectedStreams(this.env, this.first.keyBy(key1), this.second.keyBy(key2));
  }

  process<O>(
    fn:
      | CoProcessFunction<T1, T2, O>
      | KeyedCoProcessFunction<any, T1, T2, O>
      | KeyedBroadcastProcessFunction<any, T1, T2, O>
      | BroadcastProcessFunction<T1, T2, O>,
  ): DataStream<O> {
    if (this.second instanceof BroadcastStream) {
      const name = this.first instanceof KeyedStream ? "KeyedBroadcastProcess" : "BroadcastProcess";
      return this.twoInput(name, () => new BroadcastProcessOperator(copyFunction(fn) as never));
    }
    return this.twoInput(this.first instanceof KeyedStream ? "KeyedCoProcess" : "CoProcess", () => new CoProcessOperator(copyFunction(fn) as never));
  }

  map<O>(fn: CoMapFunction<T1, T2, O>): DataStream<O> {
    return this.twoInput("CoMap", () => new CoProcessOperator(coMapAsProcess(copyFunction(fn))));
  }

  flatMap<O>(fn: CoFlatMapFunction<T1, T2, O>): DataStream<O> {
    return this.twoInput("CoFlatMap", () => new CoProcessOperator(coFlatMapAsProcess(copyFunction(fn))));
  }

  /** Adds a two-input operator over both streams, with their key selectors. */
  twoInput<O>(name: string, factory: TwoInputOperatorFactory<T1, T2, O>): DataStream<O> {
    const k1 = this.first instanceof KeyedStream ? (this.first.keySelector as KeySelector<unknown>) : undefined;
    const k2 = this.second instanceof KeyedStream ? (this.second.keySelector as KeySelector<unknown>) : undefined;
    if (k1 !== undefined && this.second instanceof DataStream && k2 === undefined) {
      throw new JobError(`${name}: the first stream is keyed and the second is not; key both (or broadcast the second)`);
    }
    const t = this.env.addTransformation({
      kind: "two-input",
      name,
      input1: this.first.transformation,
      input2: this.second.transformation,
      factory,
      keySelector1: k1,
      keySelector2: k2,
    });
    return new DataStream<O>(this.env, t);
  }
}
