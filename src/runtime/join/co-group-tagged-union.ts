import type {
  Evictor,
  MergeCallback,
  MergingWindowAssigner,
  OnMergeContext,
  Trigger,
  TriggerContext,
  TriggerResult,
  Window,
  WindowAssigner,
  WindowAssignerContext,
} from "../windowing/api.js";
import { isMergingAssigner } from "../windowing/api.js";

/**
 * A record of either input of a coGroup or window join, as Flink's `CoGroupedStreams.TaggedUnion`:
 * both inputs are tagged, unioned, keyed and windowed together.
 */
export type TaggedUnion<T1, T2> = { readonly tag: 1; readonly value: T1 } | { readonly tag: 2; readonly value: T2 };

/** An assigner over the inputs' values, applied to tagged records (the assigner never sees the tag). */
class TaggedAssigner<T1, T2, W extends Window> implements WindowAssigner<TaggedUnion<T1, T2>, W> {
  constructor(protected readonly inner: WindowAssigner<T1 | T2, W>) {}

  assignWindows(element: TaggedUnion<T1, T2>, timestamp: number, ctx: WindowAssignerContext): readonly W[] {
    return this.inner.assignWindows(element.value, timestamp, ctx);
  }

  getDefaultTrigger(): Trigger<TaggedUnion<T1, T2>, W> {
    return taggedTrigger(this.inner.getDefaultTrigger());
  }

  isEventTime(): boolean {
    return this.inner.isEventTime();
  }

  namespaceOf(window: W): string {
    return this.inner.namespaceOf(window);
  }

  windowOf(namespace: string): W {
    return this.inner.windowOf(namespace);
  }

  toString(): string {
    return this.inner.toString();
  }
}

class TaggedMergingAssigner<T1, T2, W extends Window> extends TaggedAssigner<T1, T2, W> implements MergingWindowAssigner<TaggedUnion<T1, T2>, W> {
  mergeWindows(windows: readonly W[], callback: MergeCallback<W>): void {
    (this.inner as MergingWindowAssigner<T1 | T2, W>).mergeWindows(windows, callback);
  }
}

/** The assigner for tagged records. */
export function taggedAssigner<T1, T2, W extends Window>(inner: WindowAssigner<T1 | T2, W>): WindowAssigner<TaggedUnion<T1, T2>, W> {
  return isMergingAssigner(inner) ? new TaggedMergingAssigner<T1, T2, W>(inner) : new TaggedAssigner<T1, T2, W>(inner);
}

/** A trigger over the inputs' values, applied to tagged records. */
export function taggedTrigger<T1, T2, W extends Window>(inner: Trigger<T1 | T2, W>): Trigger<TaggedUnion<T1, T2>, W> {
  return {
    onElement: (element: TaggedUnion<T1, T2>, timestamp: number, window: W, ctx: TriggerContext): TriggerResult =>
      inner.onElement(element.value, timestamp, window, ctx),
    onEventTime: (time, window, ctx) => inner.onEventTime(time, window, ctx),
    onProcessingTime: (time, window, ctx) => inner.onProcessingTime(time, window, ctx),
    canMerge: () => inner.canMerge?.() ?? false,
    onMerge: (window: W, ctx: OnMergeContext) => inner.onMerge?.(window, ctx),
    clear: (window, ctx) => inner.clear(window, ctx),
    toString: () => inner.toString(),
  };
}

/** The evictor a coGroup gets works on tagged records, as in Flink. */
export type TaggedEvictor<T1, T2, W extends Window> = Evictor<TaggedUnion<T1, T2>, W>;
