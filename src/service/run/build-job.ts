import { CEP, VigilError } from "../../cep/index.js";
import type { DeadLetter } from "../../connectors/index.js";
import { NO_TIMESTAMP, WatermarkStrategy, type DataStream, type Sink, type StreamExecutionEnvironment } from "../../runtime/index.js";
import type { Alert } from "../alert.js";
import type { TextSink } from "../commands/io.js";
import type { ConfigIssue, VigilConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import type { LoadedRule, RuleEvent } from "../pattern-file/index.js";
import { buildSink } from "./alert-sinks.js";
import { EventIdentities } from "./event-identity.js";
import { buildSource } from "./service-sources.js";

/** Counters of one run, per source and per rule (shared by the job's functions: one process, local executor). */
export interface RunStats {
  readonly sources: Record<string, { events: number; deadLetters: number }>;
  readonly rules: Record<string, { rule: string; version: number; events: number; skipped: number; invalid: number; late: number; alerts: number; timeouts: number }>;
}

/** Rules that share a source, a key and a time mode: one keyBy and one CEP operator. */
interface RuleGroup {
  readonly source: string;
  readonly keyText: string;
  readonly processingTime: boolean;
  readonly rules: LoadedRule[];
}

/** Dead letters logged one by one per source; later ones are only counted. */
const LOGGED_DEAD_LETTERS = 10;

/**
 * Checks that every rule's source and sinks are in the config; the problems are named at the
 * rule file's pointer (`patterns/x.json /alert/sinks/0: ...`).
 */
export function checkRulesAgainstConfig(config: VigilConfig, rules: readonly LoadedRule[]): Array<ConfigIssue & { file: string }> {
  const issues: Array<ConfigIssue & { file: string }> = [];
  const sources = Object.keys(config.sources);
  const sinks = Object.keys(config.sinks);
  for (const rule of rules) {
    if (!sources.includes(rule.source)) issues.push({ file: rule.file, pointer: "/source", message: `unknown source ${rule.source} (the config's sources: ${sources.join(", ")})` });
    const check = (names: readonly string[], at: string) =>
      names.forEach((s, i) => {
        if (!sinks.includes(s)) issues.push({ file: rule.file, pointer: `${at}/${i}`, message: `unknown sink ${s} (the config's sinks: ${sinks.join(", ")})` });
      });
    check(rule.alert.sinks, "/alert/sinks");
    if (rule.onTimeout !== null) check(rule.onTimeout.sinks, "/onTimeout/sinks");
  }
  // one event-time field per source: the source's watermarks follow it
  for (const source of sources) {
    const fields = new Set(rules.filter((r) => r.source === source && r.eventTime !== null).map((r) => r.eventTime));
    if (fields.size > 1) {
      for (const r of rules.filter((x) => x.source === source && x.eventTime !== null)) {
        issues.push({ file: r.file, pointer: "/eventTime", message: `rules reading source ${source} use different event-time fields (${[...fields].join(", ")}); a source has one event time` });
      }
    }
  }
  return issues;
}

/** Rules grouped by (source, key, time mode), in a stable order. */
function groupRules(rules: readonly LoadedRule[]): RuleGroup[] {
  const groups = new Map<string, RuleGroup>();
  for (const rule of [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const keyText = JSON.stringify(rule.key);
    const processingTime = rule.eventTime === null;
    const id = JSON.stringify([rule.source, keyText, processingTime]);
    let g = groups.get(id);
    if (g === undefined) groups.set(id, (g = { source: rule.source, keyText, processingTime, rules: [] }));
    g.rules.push(rule);
  }
  return [...groups.values()];
}

/** What {@link buildServiceJob} needs besides the config and rules. */
export interface BuildJobOptions {
  readonly stdout: TextSink;
  readonly log: Logger;
  readonly now: () => number;
}

/**
 * Adds the service's job to `env`: each configured source that some rule reads; per group of
 * rules sharing a source, key and time mode, one `keyBy` and one CEP operator running all their
 * patterns (`CEP.patterns`, ids `rule@version`); alerts as the contract shapes them (ids from
 * rule, version, key and the matched events' positions); each alert to the sinks its rule names.
 * Operators get stable uids (source name, group), so checkpoints survive a restart; a group whose
 * rules change gets new pattern ids and starts those patterns empty.
 */
export function buildServiceJob(env: StreamExecutionEnvironment, config: VigilConfig, rules: readonly LoadedRule[], options: BuildJobOptions): RunStats {
  const { log } = options;
  const ids = new EventIdentities();
  const stats: RunStats = { sources: {}, rules: {} };
  const byPatternId = new Map<string, LoadedRule>();
  for (const r of rules) {
    byPatternId.set(`${r.id}@${r.version}`, r);
    stats.rules[`${r.id}@${r.version}`] = { rule: r.id, version: r.version, events: 0, skipped: 0, invalid: 0, late: 0, alerts: 0, timeouts: 0 };
  }
  const groups = groupRules(rules);
  const streams = new Map<string, DataStream<RuleEvent>>();
  for (const name of new Set(groups.map((g) => g.source))) {
    const cfg = config.sources[name];
    const counters = (stats.sources[name] = { events: 0, deadLetters: 0 });
    const deadLetters = (d: DeadLetter) => {
      counters.deadLetters++;
      if (counters.deadLetters <= LOGGED_DEAD_LETTERS) log.warn({ source: name, reason: d.reason, ...("line" in d && { line: d.line }) }, "dead letter");
    };
    const timed = rules.find((r) => r.source === name && r.eventTime !== null);
    let strategy = timed === undefined ? WatermarkStrategy.noWatermarks<RuleEvent>() : WatermarkStrategy.forBoundedOutOfOrderness<RuleEvent>(cfg.outOfOrdernessMs).withTimestampAssigner((e) => timed.timeOf(e) ?? NO_TIMESTAMP);
    if (timed !== undefined && cfg.idlenessMs > 0) strategy = strategy.withIdleness(cfg.idlenessMs);
    let stream = env.fromSource(buildSource(name, cfg, ids, deadLetters), strategy, `source ${name}`).uid(`source:${name}`);
    const now = options.now;
    const stampArrival = rules.some((r) => r.source === name && r.eventTime === null);
    stream = stream
      .map((e: RuleEvent) => {
        counters.events++;
        if (stampArrival && isObject(e) && !ids.arrivals.has(e)) ids.arrivals.set(e, now());
        return e;
      })
      .name(`read ${name}`);
    streams.set(name, stream);
  }

  const outputs: Array<DataStream<Alert>> = [];
  for (const group of groups) outputs.push(groupPipeline(streams.get(group.source)!, group, ids, stats, byPatternId, options));
  const alerts = outputs.length === 1 ? outputs[0] : outputs[0].union(...outputs.slice(1));

  const routes = (a: Alert): readonly string[] => {
    const r = byPatternId.get(`${a.rule}@${a.version}`);
    if (r === undefined) return [];
    return a.timedOut === true && r.onTimeout !== null ? r.onTimeout.sinks : r.alert.sinks;
  };
  const used = new Set(rules.flatMap((r) => [...r.alert.sinks, ...(r.onTimeout?.sinks ?? [])]));
  for (const name of Object.keys(config.sinks)) {
    if (!used.has(name)) {
      log.info({ sink: name }, "no rule sends alerts to this sink");
      continue;
    }
    const routed = alerts.filter((a) => routes(a).includes(name)).name(`route ${name}`);
    config.sinks[name].forEach((sinkConfig, i) => {
      const sink: Sink<Alert> = buildSink(name, sinkConfig, options.stdout);
      routed.sinkTo(sink, `sink ${name}/${sinkConfig.type}`).uid(`sink:${name}:${i}:${sinkConfig.type}`);
    });
  }
  return stats;
}

function isObject(e: unknown): e is object {
  return typeof e === "object" && e !== null && !Array.isArray(e);
}

/** One group: filter and key the events, run every rule's pattern in one CEP operator, build alerts. */
function groupPipeline(
  input: DataStream<RuleEvent>,
  group: RuleGroup,
  ids: EventIdentities,
  stats: RunStats,
  byPatternId: ReadonlyMap<string, LoadedRule>,
  options: BuildJobOptions,
): DataStream<Alert> {
  const { log } = options;
  const first = group.rules[0];
  const counters = group.rules.map((r) => stats.rules[`${r.id}@${r.version}`]);
  const uid = `cep:${group.source}:${group.keyText}:${group.processingTime ? "processing" : "event"}`;
  let loggedMissingTime = 0;
  // rules of a group share key and time, so the first rule's extractors serve them all
  const keyed = input
    .filter((e) => {
      if (!isObject(e)) {
        for (const c of counters) c.skipped++;
        return false;
      }
      if (!group.processingTime && first.timeOf(e) === null) {
        for (const c of counters) c.invalid++;
        if (loggedMissingTime++ < LOGGED_DEAD_LETTERS) log.warn({ source: group.source, field: first.eventTime, position: ids.positionOf(e) }, "dead letter: no usable event time");
        return false;
      }
      if (first.keyOf(e) === undefined) {
        for (const c of counters) c.skipped++;
        return false;
      }
      for (const c of counters) c.events++;
      return true;
    })
    .name(`key ${group.keyText}`)
    .keyBy((e) => first.keyOf(e)!.text);

  let patterns = CEP.patterns(
    keyed,
    group.rules.map((r) => ({ id: `${r.id}@${r.version}`, pattern: r.pattern })),
  ).withEventCodec(ids.codec);
  if (group.processingTime) patterns = patterns.inProcessingTime();
  const timeOf = group.processingTime ? ids.arrivalOf : undefined;
  const alertOptions = { positionOf: ids.positionOf, now: options.now, ...(timeOf && { timeOf }) };

  const ruleOf = (patternId: string): LoadedRule => {
    const rule = byPatternId.get(patternId);
    if (rule === undefined) throw new VigilError(`CEP pattern ${patternId} has no rule`, { code: "INTERNAL" });
    return rule;
  };
  const keyOfMatch = (match: Readonly<Record<string, readonly RuleEvent[]>>) => {
    for (const events of Object.values(match)) if (events.length > 0) return first.keyOf(events[0])!.value;
    throw new VigilError("CEP produced an empty match", { code: "INTERNAL" });
  };
  const out = patterns
    .process<Alert>({
      processMatch(match, ctx, collector) {
        const rule = ruleOf(ctx.patternId);
        stats.rules[ctx.patternId].alerts++;
        collector.collect(rule.buildAlert(match, keyOfMatch(match), alertOptions));
      },
      processTimedOutMatch(match, ctx) {
        const rule = ruleOf(ctx.patternId);
        if (rule.onTimeout === null) return;
        stats.rules[ctx.patternId].timeouts++;
        ctx.output(rule.buildAlert(match, keyOfMatch(match), { ...alertOptions, timedOutAt: ctx.timestamp() }));
      },
    })
    .uid(uid)
    .name(`CEP ${group.rules.map((r) => r.id).join(", ")}`);

  let loggedLate = 0;
  out.getSideOutput(CEP.lateTag).sinkTo(
    {
      createWriter: () => ({
        write: (e: RuleEvent, ts: number) => {
          for (const c of counters) c.late++;
          if (loggedLate++ < LOGGED_DEAD_LETTERS) log.warn({ source: group.source, position: ids.positionOf(e), eventTime: ts }, "late event: behind the watermark, not matched (raise the source's outOfOrderness?)");
        },
      }),
    },
    `late ${group.keyText}`,
  ).uid(`late:${uid}`);
  return out;
}
