import type { Agg, Ev } from "./window-harness.js";

/**
 * Slow, obviously-correct models of Flink's window semantics with the default event-time trigger,
 * replayed over the same sequence of elements and watermarks the operator sees. Windows are plain
 * `{ start, end }` found by brute force; contents are lists; nothing is incremental.
 *
 * The rules modelled (Flink's `WindowOperator` + `EventTimeTrigger`): a window with
 * `end - 1 + lateness <= watermark` is gone and takes no elements; an element added to a window
 * whose end the watermark has passed fires it at once; otherwise the window fires when the
 * watermark reaches `end - 1`; it is removed when the watermark reaches `end - 1 + lateness`. An
 * element that went into no window and has `ts + lateness <= watermark` is late data.
 */

export type Op = { readonly kind: "el"; readonly e: Ev } | { readonly kind: "wm"; readonly wm: number };

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface RefResult {
  readonly out: Agg[];
  readonly late: Ev[];
}

/** Candidate window starts `offset + k * step` for k near `ts`, by brute force. */
function* starts(ts: number, offset: number, step: number, spanSteps: number): Generator<number> {
  const k0 = Math.floor((ts - offset) / step);
  for (let k = k0 - spanSteps - 2; k <= k0 + 2; k++) yield offset + k * step;
}

/** Every `[s, s + size)` with `s ≡ offset (mod size)` containing ts. */
export function tumblingSpans(size: number, offset: number): (ts: number) => Span[] {
  return (ts) => [...starts(ts, offset, size, 1)].filter((s) => s <= ts && ts < s + size).map((s) => ({ start: s, end: s + size }));
}

/** Every `[s, s + size)` with `s ≡ offset (mod slide)` containing ts. */
export function slidingSpans(size: number, slide: number, offset: number): (ts: number) => Span[] {
  return (ts) =>
    [...starts(ts, offset, slide, Math.ceil(size / slide))].filter((s) => s <= ts && ts < s + size).map((s) => ({ start: s, end: s + size }));
}

/** Every `[p, p + j * step)` (p a period start, 1 <= j <= maxSize / step) containing ts. */
export function cumulativeSpans(maxSize: number, step: number, offset: number): (ts: number) => Span[] {
  return (ts) => {
    const out: Span[] = [];
    for (const p of starts(ts, offset, maxSize, 1)) {
      for (let j = 1; j <= maxSize / step; j++) if (p <= ts && ts < p + j * step) out.push({ start: p, end: p + j * step });
    }
    return out;
  };
}

function agg(key: string, w: Span, elements: readonly Ev[]): Agg {
  return { key, start: w.start, end: w.end, count: elements.length, sum: elements.reduce((s, e) => s + e.v, 0) };
}

/** Non-merging event-time windows (tumbling, sliding, cumulative). */
export function referenceFixed(ops: readonly Op[], spansOf: (ts: number) => Span[], lateness: number): RefResult {
  const live = new Map<string, { key: string; w: Span; elements: Ev[] }>();
  const out: Agg[] = [];
  const late: Ev[] = [];
  let wm = Number.NEGATIVE_INFINITY;
  const advance = (to: number) => {
    if (to <= wm) return;
    for (const x of live.values()) if (x.w.end - 1 > wm && x.w.end - 1 <= to) out.push(agg(x.key, x.w, x.elements));
    for (const [id, x] of live) if (x.w.end - 1 + lateness <= to) live.delete(id);
    wm = to;
  };
  for (const op of ops) {
    if (op.kind === "wm") {
      advance(op.wm);
      continue;
    }
    const e = op.e;
    let accepted = false;
    for (const w of spansOf(e.ts)) {
      if (w.end - 1 + lateness <= wm) continue;
      accepted = true;
      const id = `${e.key}|${w.start}|${w.end}`;
      let x = live.get(id);
      if (x === undefined) live.set(id, (x = { key: e.key, w, elements: [] }));
      x.elements.push(e);
      if (w.end - 1 <= wm) out.push(agg(e.key, w, x.elements));
    }
    if (!accepted && e.ts + lateness <= wm) late.push(e);
  }
  advance(Number.POSITIVE_INFINITY);
  return { out, late };
}

/** Event-time session windows: an element opens `[ts, ts + gap)`; windows that overlap or touch merge. */
export function referenceSessions(ops: readonly Op[], gapOf: (e: Ev) => number, lateness: number): RefResult {
  const live = new Map<string, Array<{ w: Span; elements: Ev[] }>>();
  const out: Agg[] = [];
  const late: Ev[] = [];
  let wm = Number.NEGATIVE_INFINITY;
  const advance = (to: number) => {
    if (to <= wm) return;
    for (const [key, sessions] of live) {
      for (const s of sessions) if (s.w.end - 1 > wm && s.w.end - 1 <= to) out.push(agg(key, s.w, s.elements));
      live.set(key, sessions.filter((s) => s.w.end - 1 + lateness > to));
    }
    wm = to;
  };
  for (const op of ops) {
    if (op.kind === "wm") {
      advance(op.wm);
      continue;
    }
    const e = op.e;
    const sessions = live.get(e.key) ?? [];
    const own: Span = { start: e.ts, end: e.ts + gapOf(e) };
    const touching = sessions.filter((s) => s.w.start <= own.end && s.w.end >= own.start);
    if (touching.length === 0 && own.end - 1 + lateness <= wm) {
      if (e.ts + lateness <= wm) late.push(e);
      continue;
    }
    const w: Span = {
      start: Math.min(own.start, ...touching.map((s) => s.w.start)),
      end: Math.max(own.end, ...touching.map((s) => s.w.end)),
    };
    const merged = { w, elements: [...touching.flatMap((s) => s.elements), e] };
    live.set(e.key, [...sessions.filter((s) => !touching.includes(s)), merged]);
    if (w.end - 1 <= wm) out.push(agg(e.key, w, merged.elements));
  }
  advance(Number.POSITIVE_INFINITY);
  return { out, late };
}

/**
 * Count windows on global windows (no event time): per key, in arrival order, a firing after
 * every `slide` elements over the last `size` of them (`slide = size`: tumbling, purged).
 */
export function referenceCount(ops: readonly Op[], size: number, slide: number): Agg[] {
  const seen = new Map<string, Ev[]>();
  const out: Agg[] = [];
  for (const op of ops) {
    if (op.kind !== "el") continue;
    const list = seen.get(op.e.key) ?? [];
    list.push(op.e);
    seen.set(op.e.key, list);
    if (list.length % slide === 0) out.push(agg(op.e.key, { start: -1, end: -1 }, list.slice(-size)));
  }
  return out;
}

/** A step of a processing-time run: an element arrives, or the clock moves forward. */
export type ProcessingOp = { readonly kind: "el"; readonly e: Ev } | { readonly kind: "advance"; readonly ms: number };

/**
 * Processing-time windows with the default trigger: an element goes to the windows of the clock
 * when it arrives (`spansAt(now)`, or a session `[now, now + gap)` merging with the key's open
 * sessions when `sessionGap` is set); a window fires and goes once the clock reaches its end - 1.
 */
export function referenceProcessingTime(ops: readonly ProcessingOp[], start: number, spansAt: (now: number) => Span[], sessionGap?: number): Agg[] {
  let live: Array<{ key: string; w: Span; elements: Ev[] }> = [];
  const out: Agg[] = [];
  let now = start;
  for (const op of ops) {
    if (op.kind === "advance") {
      now += op.ms;
      for (const x of live) if (x.w.end - 1 <= now) out.push(agg(x.key, x.w, x.elements));
      live = live.filter((x) => x.w.end - 1 > now);
      continue;
    }
    const e = op.e;
    if (sessionGap === undefined) {
      for (const w of spansAt(now)) {
        let x = live.find((y) => y.key === e.key && y.w.start === w.start && y.w.end === w.end);
        if (x === undefined) live.push((x = { key: e.key, w, elements: [] }));
        x.elements.push(e);
      }
      continue;
    }
    const own: Span = { start: now, end: now + sessionGap };
    const touching = live.filter((x) => x.key === e.key && x.w.start <= own.end && x.w.end >= own.start);
    const w: Span = { start: Math.min(own.start, ...touching.map((x) => x.w.start)), end: Math.max(own.end, ...touching.map((x) => x.w.end)) };
    live = [...live.filter((x) => !touching.includes(x)), { key: e.key, w, elements: [...touching.flatMap((x) => x.elements), e] }];
  }
  return out;
}
