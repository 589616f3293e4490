/**
 * A labelled run: a start event and, for each event from there on, what the run did with it
 * (took it for a stage, or skipped it while waiting for a stage). The reference's rules
 * (`rules.ts`, `not-stages.ts`) are predicates over these; `runs.ts` enumerates them.
 */
import type { Model } from "./model.js";
import type { EventsFor } from "./spec.js";

/** What a run did with one event. `stage` indexes the model's positive stages. */
export type Label =
  | { readonly act: "take"; readonly stage: number }
  /** Ignored while waiting for `stage` (its next occurrence, or its first). */
  | { readonly act: "skip"; readonly stage: number }
  /** Ignored by a trailing notFollowedBy while its window runs (the Pending state). */
  | { readonly act: "skipPending" };

export interface Run {
  /** Index of the event that started the run (always taken). */
  readonly start: number;
  /** `labels[j]` is what the run did with event `start + j`. */
  readonly labels: readonly Label[];
}

export interface Take {
  readonly index: number;
  readonly stage: number;
}

export function takesOf(run: Run): Take[] {
  const out: Take[] = [];
  run.labels.forEach((l, j) => {
    if (l.act === "take") out.push({ index: run.start + j, stage: l.stage });
  });
  return out;
}

export function countOf(run: Run, k: number): number {
  return run.labels.filter((l) => l.act === "take" && l.stage === k).length;
}

/** Stage of the run's latest take (a run starts with a take, so there is one). */
export function lastTakeStage(run: Run): number {
  for (let j = run.labels.length - 1; j >= 0; j--) {
    const l = run.labels[j]!;
    if (l.act === "take") return l.stage;
  }
  throw new Error("a run starts with a take");
}

export function lastLabel(run: Run): Label {
  return run.labels[run.labels.length - 1]!;
}

/** The labels after the run's latest take: the events it has skipped since. */
export function trailingSkips(run: Run): Label[] {
  let j = run.labels.length;
  while (j > 0 && run.labels[j - 1]!.act !== "take") j--;
  return run.labels.slice(j);
}

/** `ctx.eventsFor(stage)`: what the run has taken for `stage`, in order. */
export function eventsForOf(m: Model, run: Run): EventsFor {
  return (name) => takesOf(run).filter((t) => m.stages[t.stage]!.name === name).map((t) => m.input[t.index]!.event);
}
