import type { MapStateDescriptorLike } from "../broadcast-descriptor.js";
import type { Transformation } from "../graph/transformation.js";
import type { StreamExecutionEnvironment } from "../environment.js";

/**
 * A stream sent to every subtask of the operator it is connected to, with the broadcast state
 * descriptors that operator will hold, as Flink's `BroadcastStream`. Use it with
 * `keyedStream.connect(broadcastStream).process(keyedBroadcastProcessFunction)`.
 */
export class BroadcastStream<T> {
  /** Phantom field carrying the element type. */
  declare readonly __type?: T;

  constructor(
    readonly env: StreamExecutionEnvironment,
    readonly transformation: Transformation,
    readonly descriptors: readonly MapStateDescriptorLike<any, any>[],
  ) {}
}
