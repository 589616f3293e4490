import { JobError } from "../../../errors.js";
import type { ValueState } from "../../../state/api.js";
import type { MergingWindowAssigner, Window } from "../api.js";

/** The keyed state (default namespace) holding a key's merging window set. */
export const MERGING_WINDOW_SET = "merging-window-set";

/**
 * Told of each merge: windows `mergedWindows` (namespaces `mergedNamespaces`, never the new
 * window) became `mergeResult`, whose contents live in state window `stateWindowResult`; the
 * contents of `mergedStateWindows` must be merged into it.
 */
export type MergeFunction<W> = (
  mergeResult: W,
  mergeResultNs: string,
  mergedWindows: readonly W[],
  mergedNamespaces: readonly string[],
  stateWindowResult: string,
  mergedStateWindows: readonly string[],
) => void;

/**
 * The in-flight windows of one key of a merging assigner, as Flink's `MergingWindowSet`: each
 * window maps to the "state window" whose namespace holds its contents. When windows merge, the
 * result keeps the state window of one of them (so its contents need not move) and the others'
 * contents are merged into it. Stored as a flat list `[window, stateWindow, ...]` of namespaces
 * in value state of the default namespace; `persist` writes it back when it changed.
 */
export class MergingWindowSet<W extends Window> {
  /** window namespace -> state window namespace */
  private readonly mapping = new Map<string, string>();
  private readonly windows = new Map<string, W>();
  private changed = false;

  constructor(
    private readonly assigner: MergingWindowAssigner<any, W>,
    private readonly state: ValueState<string[]>,
  ) {
    const stored = state.value();
    if (stored !== undefined) {
      for (let i = 0; i + 1 < stored.length; i += 2) {
        this.mapping.set(stored[i], stored[i + 1]);
        this.windows.set(stored[i], assigner.windowOf(stored[i]));
      }
    }
  }

  /** The state window of an in-flight window, or undefined when the window is not (any more) in the set. */
  getStateWindow(ns: string): string | undefined {
    return this.mapping.get(ns);
  }

  /** Removes a window (cleaned up, or late on arrival). */
  retireWindow(ns: string): void {
    if (!this.mapping.delete(ns)) throw new JobError(`window ${ns} is not in the in-flight window set`, { code: "JOB_ERROR" });
    this.windows.delete(ns);
    this.changed = true;
  }

  /**
   * Adds a new window, merging it with in-flight windows as the assigner says; `mergeFunction` is
   * called for every merge that involves a window that had contents. Returns the namespace of the
   * window the new one ended up in (itself, or the merge result it became part of).
   */
  addWindow(newWindow: W, newNs: string, mergeFunction: MergeFunction<W>): string {
    // already in flight (an equal window): nothing can merge, as in-flight windows never overlap
    if (this.mapping.has(newNs)) return newNs;
    const all = [...this.windows.values(), newWindow];
    const results: Array<[W, W[]]> = [];
    this.assigner.mergeWindows(all, (toBeMerged, mergeResult) => void results.push([mergeResult, toBeMerged]));

    let resultNs = newNs;
    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const [mergeResult, toBeMerged] of results) {
      const mergeResultNs = this.assigner.namespaceOf(mergeResult);
      const mergedWindows: W[] = [];
      const mergedNamespaces: string[] = [];
      for (const w of toBeMerged) {
        const ns = this.assigner.namespaceOf(w);
        if (ns === newNs) {
          mergedNewWindow = true;
          resultWindow = mergeResult;
          resultNs = mergeResultNs;
        } else if (!mergedNamespaces.includes(ns)) {
          mergedWindows.push(w);
          mergedNamespaces.push(ns);
        }
      }
      // the result keeps the state window of one merged window; the others' contents move into it
      const stateWindow = this.mapping.get(mergedNamespaces[0])!;
      const mergedStateWindows: string[] = [];
      for (const ns of mergedNamespaces) {
        const s = this.mapping.get(ns);
        if (s === undefined) continue;
        this.mapping.delete(ns);
        this.windows.delete(ns);
        if (s !== stateWindow) mergedStateWindows.push(s);
      }
      this.mapping.set(mergeResultNs, stateWindow);
      this.windows.set(mergeResultNs, mergeResult);
      // an in-flight window absorbing only the new window (not growing) merges nothing
      if (!(mergedNamespaces.length === 1 && mergedNamespaces[0] === mergeResultNs)) {
        mergeFunction(mergeResult, mergeResultNs, mergedWindows, mergedNamespaces, stateWindow, mergedStateWindows);
      }
    }
    // the new window merged with nothing: it is its own state window
    if (!mergedNewWindow) {
      this.mapping.set(resultNs, resultNs);
      this.windows.set(resultNs, resultWindow);
    }
    this.changed = true;
    return resultNs;
  }

  /** The window of an in-flight namespace. */
  window(ns: string): W | undefined {
    return this.windows.get(ns);
  }

  /** Writes the set back to its state if it changed. */
  persist(): void {
    if (!this.changed) return;
    this.changed = false;
    if (this.mapping.size === 0) {
      this.state.clear();
      return;
    }
    const flat: string[] = [];
    for (const [w, s] of this.mapping) flat.push(w, s);
    this.state.update(flat);
  }
}
