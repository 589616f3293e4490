import { JobError } from "../../errors.js";
import type { Operator, TwoInputOperator, KeySelector } from "../operator.js";
import type { Source } from "../source/source.js";
import type { Sink } from "../sink/sink.js";
import type { WatermarkStrategy } from "../event-time/watermark-strategy.js";
import type { OutputTag } from "../output-tag.js";
import type { PartitionerSpec } from "./partitioner.js";
import type { RecordCodec } from "../executor/record-codec.js";

/** Builds a fresh operator for each subtask. */
export type OperatorFactory<I, O> = () => Operator<I, O>;
export type TwoInputOperatorFactory<I1, I2, O> = () => TwoInputOperator<I1, I2, O>;

interface Common {
  /** Position in the environment's list: stable for the same program, the basis of default operator ids. */
  readonly id: number;
  name: string;
  uid: string | undefined;
  /** undefined: the environment's default. */
  parallelism: number | undefined;
  /** undefined: the environment's default. */
  maxParallelism: number | undefined;
  /** false: never chain this operator to its input (`disableChaining`). */
  chainable: boolean;
  /** How this operator's main-output records cross threads (default: structured clone). */
  codec?: RecordCodec<any>;
}

export interface SourceTransformation extends Common {
  readonly kind: "source";
  readonly source: Source<any, any>;
  readonly watermarkStrategy: WatermarkStrategy<any>;
}

export interface OneInputTransformation extends Common {
  readonly kind: "one-input";
  readonly input: Transformation;
  readonly factory: OperatorFactory<any, any>;
  /** Set when the input is keyed: the runtime sets the state key from it. */
  readonly keySelector: KeySelector<any> | undefined;
}

export interface TwoInputTransformation extends Common {
  readonly kind: "two-input";
  readonly input1: Transformation;
  readonly input2: Transformation;
  readonly factory: TwoInputOperatorFactory<any, any, any>;
  readonly keySelector1: KeySelector<any> | undefined;
  readonly keySelector2: KeySelector<any> | undefined;
}

export interface SinkTransformation extends Common {
  readonly kind: "sink";
  readonly input: Transformation;
  readonly sink: Sink<any>;
}

/** Virtual: several streams read as one. */
export interface UnionTransformation extends Common {
  readonly kind: "union";
  readonly inputs: Transformation[];
}

/** Virtual: how the input is distributed to the consumer's subtasks. */
export interface PartitionTransformation extends Common {
  readonly kind: "partition";
  readonly input: Transformation;
  readonly partitioner: PartitionerSpec;
}

/** Virtual: the records an operator emitted to a side output. */
export interface SideOutputTransformation extends Common {
  readonly kind: "side-output";
  readonly input: Transformation;
  readonly tag: OutputTag<any>;
}

export type Transformation =
  | SourceTransformation
  | OneInputTransformation
  | TwoInputTransformation
  | SinkTransformation
  | UnionTransformation
  | PartitionTransformation
  | SideOutputTransformation;

export type PhysicalTransformation =
  | SourceTransformation
  | OneInputTransformation
  | TwoInputTransformation
  | SinkTransformation;

export function isPhysical(t: Transformation): t is PhysicalTransformation {
  return t.kind === "source" || t.kind === "one-input" || t.kind === "two-input" || t.kind === "sink";
}

/** Throws a `JobError` unless `parallelism` is an integer >= 1 (what `setParallelism` accepts everywhere). */
export function checkParallelism(parallelism: number, what = "setParallelism"): number {
  if (!Number.isInteger(parallelism) || parallelism < 1) {
    throw new JobError(`${what}: expected an integer >= 1, got ${parallelism}`);
  }
  return parallelism;
}
