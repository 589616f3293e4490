/**
 * A small seeded PRNG for the traffic generator, so that one seed always gives the same file on
 * every machine. sfc32 (Chris Doty-Humphrey's Small Fast Counting generator) seeded through a
 * 32-bit string/number hash; `fork` derives an independent stream per label, so adding a draw in
 * one part of the generator does not shift every other part.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(...seed: Array<string | number>) {
    const h = hash32(seed.join("\u0000"));
    this.a = h;
    this.b = hash32(`${h}b`);
    this.c = hash32(`${h}c`);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next(); // mix the seed in
  }

  /** A uniform float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t / 4294967296;
  }

  /** An independent stream for `label` (same seed and label, same stream). */
  fork(label: string | number): Rng {
    return new Rng(this.a, this.b, this.c, label);
  }

  /** A uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** A uniform float in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)];
  }

  /** An element drawn with probability proportional to `weight(element)`. */
  weighted<T>(list: readonly T[], weight: (item: T) => number): T {
    let total = 0;
    for (const item of list) total += weight(item);
    let r = this.next() * total;
    for (const item of list) {
      r -= weight(item);
      if (r < 0) return item;
    }
    return list[list.length - 1];
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1], so the log is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-normal with the given median and log-space sigma, redrawn until it lies in [min, max]. */
  logNormal(median: number, sigma: number, min: number, max: number): number {
    for (let i = 0; i < 50; i++) {
      const x = median * Math.exp(sigma * this.normal());
      if (x >= min && x <= max) return x;
    }
    return Math.min(max, Math.max(min, median));
  }

  /** Exponential waiting time with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** `n` lowercase hex digits. */
  hex(n: number): string {
    let s = "";
    while (s.length < n) s += Math.floor(this.next() * 0x10000).toString(16).padStart(4, "0");
    return s.slice(0, n);
  }
}

/** FNV-1a, 32 bits. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Money: rounded to cents. */
export const cents = (x: number): number => Math.round(x * 100) / 100;
