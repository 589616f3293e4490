/** Milliseconds per duration unit. */
const UNIT_MS: ReadonlyMap<string, number> = new Map([
  ["ms", 1],
  ["s", 1_000],
  ["m", 60_000],
  ["h", 3_600_000],
  ["d", 86_400_000],
]);

/**
 * Parses a duration of a pattern file: a string `<digits><unit>` with unit `ms`, `s`, `m`, `h`
 * or `d` (`"250ms"`, `"30s"`, `"10m"`, `"2h"`, `"1d"`), or an integer number of milliseconds.
 * Returns the duration in ms, or an error message when it is not a positive safe integer of ms.
 */
export function parseDuration(value: unknown): { ms: number } | { error: string } {
  let ms: number;
  if (typeof value === "number") {
    if (!Number.isInteger(value)) return { error: `must be a whole number of milliseconds (got ${value})` };
    ms = value;
  } else if (typeof value === "string") {
    const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(value);
    if (m === null) {
      return { error: `must be a duration like "250ms", "30s", "10m", "2h" or "1d", or integer milliseconds (got ${JSON.stringify(value)})` };
    }
    ms = Number(m[1]) * (UNIT_MS.get(m[2]) ?? NaN);
  } else {
    return { error: "must be a duration string or integer milliseconds" };
  }
  if (ms <= 0) return { error: "must be longer than 0" };
  if (!Number.isSafeInteger(ms)) return { error: "is too long" };
  return { ms };
}

/** Formats ms as the largest exact unit: 600000 -> "10m", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [...UNIT_MS].reverse()) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
