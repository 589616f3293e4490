import { OutputTag } from "../../runtime/index.js";

/**
 * The CEP operator's own side outputs. The tag kind is a type brand, so that
 * `PatternOutputStream.getSideOutput` can type each one (timed-out matches of `T`, late `T`s).
 */
export class CepSideOutputTag<Kind extends "timed-out" | "late"> extends OutputTag<unknown> {
  declare readonly __cepKind: Kind;

  constructor(readonly kind: Kind) {
    super(kind === "timed-out" ? "cep-timed-out" : "cep-late");
  }
}

/** Partial matches whose `within` window closed (`CepTimedOut` records). */
export const TIMED_OUT_TAG = new CepSideOutputTag("timed-out");
/** Events at or behind the watermark when they arrived (the events themselves, with their timestamps). */
export const LATE_TAG = new CepSideOutputTag("late");
