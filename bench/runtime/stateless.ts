/**
 * Case 1, `runtime-map-filter-map`: a stateless chain over the numbers `0 .. n-1`,
 * `map(x => 3x + 1) -> filter(x => x mod 4 != 0) -> map(x => x / 2)`, three ways:
 *
 * - Vigil: `env.fromSequence(0, n - 1).map(...).filter(...).map(...).sinkTo(new DiscardingSink())`,
 *   parallelism 1, local executor (the operators chain into direct calls);
 * - hand-written: one `for` loop applying the same three functions and counting;
 * - RxJS: `range(0, n).pipe(map, filter, map).subscribe(...)` counting.
 *
 * The three functions are the same function objects on every side. The agreement pass
 * ({@link statelessChecksums}) sums the output as well as counting it; timed runs only count,
 * as `DiscardingSink` does.
 */
import { filter as rxFilter, map as rxMap, range } from "rxjs";
import { DiscardingSink, StreamExecutionEnvironment, type Sink, type SinkWriter } from "../../src/runtime/index.js";

export const triplePlusOne = (x: number): number => 3 * x + 1;
export const notMultipleOf4 = (x: number): boolean => x % 4 !== 0;
export const half = (x: number): number => x / 2;

/** Count and sum of what reached the end of the chain, `count:sum`. */
export type StatelessChecksum = string;

/** A sink that counts and sums numbers (the agreement pass; one subtask). */
class SummingSink implements Sink<number> {
  count = 0;
  sum = 0;
  createWriter(): SinkWriter<number> {
    return {
      write: (v) => {
        this.count++;
        this.sum += v;
      },
    };
  }
}

function vigilJob(n: number, sink: Sink<number>): StreamExecutionEnvironment {
  const env = new StreamExecutionEnvironment();
  env.fromSequence(0, n - 1).map(triplePlusOne).filter(notMultipleOf4).map(half).sinkTo(sink);
  return env;
}

/** Vigil, timed form: returns the `DiscardingSink`'s count. */
export async function vigilStateless(n: number): Promise<string> {
  const sink = new DiscardingSink<number>();
  await vigilJob(n, sink).execute("map-filter-map");
  return String(sink.count);
}

/** Hand-written, timed form: returns the count. */
export function handWrittenStateless(n: number): string {
  let count = 0;
  for (let i = 0; i < n; i++) {
    const y = triplePlusOne(i);
    if (!notMultipleOf4(y)) continue;
    half(y);
    count++;
  }
  return String(count);
}

/** RxJS, timed form: returns the count. */
export function rxjsStateless(n: number): string {
  let count = 0;
  range(0, n)
    .pipe(rxMap(triplePlusOne), rxFilter(notMultipleOf4), rxMap(half))
    .subscribe(() => {
      count++;
    });
  return String(count);
}

/** The agreement pass: `count:sum` of each side's output (they must be equal). */
export async function statelessChecksums(n: number): Promise<{ vigil: StatelessChecksum; handWritten: StatelessChecksum; rxjs: StatelessChecksum }> {
  const sink = new SummingSink();
  await vigilJob(n, sink).execute("map-filter-map (checksum)");
  const vigil = `${sink.count}:${sink.sum}`;

  let count = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const y = triplePlusOne(i);
    if (!notMultipleOf4(y)) continue;
    sum += half(y);
    count++;
  }
  const handWritten = `${count}:${sum}`;

  let rxCount = 0;
  let rxSum = 0;
  range(0, n)
    .pipe(rxMap(triplePlusOne), rxFilter(notMultipleOf4), rxMap(half))
    .subscribe((v) => {
      rxCount++;
      rxSum += v;
    });
  return { vigil, handWritten, rxjs: `${rxCount}:${rxSum}` };
}
