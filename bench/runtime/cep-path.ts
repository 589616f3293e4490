/**
 * Case 4, `runtime-cep-<rule>`: the rules and card events of `bench:cep` through the whole
 * operator path,
 *
 * ```ts
 * env.fromSource(new CollectionSource(events), forMonotonousTimestamps().withTimestampAssigner((t) => t.ts))
 *   .keyBy((t) => t.cardId)
 *   → CEP.pattern(keyed, pattern).process((match, ctx, out) => out.collect(match))
 *   .sinkTo(new DiscardingSink())
 * ```
 *
 * against the engine alone on the same events (`runEngine` of `bench/cep/runners.ts`: a
 * `KeyedMatcher` fed in arrival order, which for this stream, with strictly increasing
 * timestamps, is event-time order). The events are generated once, in memory, before timing; both
 * sides read the same array. The operator path adds what a job pays around the NFA: the source
 * loop, watermarks, the key (and its state-backend lookups), the per-key event buffer that holds
 * each event until the watermark passes it, and an event-time timer per buffered key.
 */
import { CEP, compile, type Match, type Nfa } from "../../src/cep/index.js";
import {
  CollectionSource,
  CollectSink,
  DiscardingSink,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type Sink,
} from "../../src/runtime/index.js";
import { matchKey } from "../cep/alerts.js";
import { PATTERNS } from "../cep/patterns.js";
import type { CaseName } from "../cep/rules.js";
import { countingCollector, runEngine, sinkCollector } from "../cep/runners.js";
import type { Txn } from "../cep/txn.js";

function operatorJob<O>(name: CaseName, events: readonly Txn[], toOutput: (m: Match<Txn>) => O, sink: Sink<O>): StreamExecutionEnvironment {
  const env = new StreamExecutionEnvironment();
  const keyed = env
    .fromSource(new CollectionSource(events), WatermarkStrategy.forMonotonousTimestamps<Txn>().withTimestampAssigner((t) => t.ts), "txns")
    .keyBy((t) => t.cardId);
  CEP.pattern(keyed, PATTERNS[name]())
    .process<O>((match, _ctx, out) => out.collect(toOutput(match)))
    .sinkTo(sink);
  return env;
}

/** The operator path, timed form: returns the number of matches (the `DiscardingSink`'s count). */
export async function cepOperatorPath(name: CaseName, events: readonly Txn[]): Promise<string> {
  const sink = new DiscardingSink<Match<Txn>>();
  await operatorJob(name, events, (m) => m, sink).execute(`cep-${name}`);
  return String(sink.count);
}

/** The engine alone (`KeyedMatcher` over the rule's compiled NFA), timed form: returns the number of matches. */
export function cepEngineDirect(nfa: Nfa<Txn>, events: readonly Txn[]): string {
  const out = countingCollector();
  runEngine(nfa, events, out);
  return String(out.count);
}

/** The agreement pass: each side's matches normalised to card and event ids (`bench/cep/alerts.ts`). */
export async function cepMatchKeys(name: CaseName, events: readonly Txn[]): Promise<{ operator: string[]; engine: string[] }> {
  const sink = new CollectSink<string>();
  await operatorJob(name, events, matchKey, sink).execute(`cep-${name} (agreement)`);
  const engine: string[] = [];
  runEngine(compile(PATTERNS[name]()), events, sinkCollector((m) => engine.push(matchKey(m))));
  return { operator: sink.values, engine };
}
