import { CEP, VigilError, type PatternUpdate } from "../../cep/index.js";
import type { DeadLetter } from "../../connectors/index.js";
import { NO_TIMESTAMP, WatermarkStrategy, type DataStream, type Sink, type StreamExecutionEnvironment } from "../../runtime/index.js";
import type { Alert } from "../alert.js";
import type { TextSink } from "../commands/io.js";
import type { ConfigIssue, VigilConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { isModuleFile, type LoadedRule, type RuleEvent } from "../pattern-file/index.js";
import {
  ControlSource,
  groupOf,
  patternIdOf,
  planOf,
  ServiceRules,
  trackEnd,
  type GroupKey,
  type GroupUpdate,
  type JobPlan,
  type RuleDocument,
  type RuleVersion,
  type RunStats,
} from "../reload/index.js";
import type { ServiceObserver } from "./control.js";
import { buildSink } from "./alert-sinks.js";
import type { ServiceDeadLetter } from "./dead-letters.js";
import { EventIdentities } from "./event-identity.js";
import { buildSource } from "./service-sources.js";

export type { RunStats };

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

/** What {@link buildServiceJob} needs besides the config and rules. */
export interface BuildJobOptions {
  readonly stdout: TextSink;
  readonly log: Logger;
  readonly now: () => number;
  /** The service's rules (active versions, every version seen, counters); made from `rules` when absent. */
  readonly serviceRules?: ServiceRules;
  /** Where rule changes reach the running job; one that ends with the data sources when absent. */
  readonly control?: ControlSource<RuleDocument>;
  readonly observer?: ServiceObserver;
  /** The dead-letter output (`deadLetters` in the config): every refused record, with its reason. */
  readonly deadLetters?: (d: ServiceDeadLetter) => void;
}

/** The job built: its counters, the plan it fixes, and its control stream. */
export interface ServiceJob extends RunStats {
  readonly plan: JobPlan;
  readonly control: ControlSource<RuleDocument>;
}

/** A rule version as the service runs it, for rules loaded from files at start. */
export function versionOf(rule: LoadedRule, text: string | undefined): RuleVersion {
  let json: unknown = null;
  if (text !== undefined && !isModuleFile(rule.file)) {
    try {
      json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
    } catch {
      // loaded from this text, so it parses; a file changed since is the watcher's business
    }
  }
  return { rule, patternId: patternIdOf(rule), document: { file: rule.file, json }, text };
}

/**
 * Adds the service's job to `env`: each configured source that some rule reads; per group of
 * rules sharing a source, key and time mode, one `keyBy` and one CEP operator running all their
 * patterns (`CEP.dynamicPatterns`, ids `rule@version`, fed by the control stream so rules change
 * while it runs); alerts as the contract shapes them (ids from rule, version, key and the
 * matched events' positions); each alert to the sinks its rule names. Operators get stable uids
 * (source name, group), so checkpoints survive a restart. The result's `plan` is what the job
 * cannot change while it runs (its groups, sources' event-time fields and sinks).
 */
export function buildServiceJob(env: StreamExecutionEnvironment, config: VigilConfig, rules: readonly LoadedRule[], options: BuildJobOptions): ServiceJob {
  const { log, observer } = options;
  const serviceRules = options.serviceRules ?? new ServiceRules(rules.map((r) => versionOf(r, undefined)));
  const stats = serviceRules.stats;
  const ids = new EventIdentities();
  const plan = planOf(rules);
  const groups = new Map<string, GroupKey & { first: LoadedRule; names: string[] }>();
  for (const rule of [...rules].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const g = groupOf(rule);
    const known = groups.get(g.uid);
    if (known === undefined) groups.set(g.uid, { ...g, first: rule, names: [rule.id] });
    else known.names.push(rule.id);
  }

  // the control stream ends when every data source has: a bounded run still finishes
  const ended = new Set<string>();
  const sourceNames = new Set([...groups.values()].map((g) => g.source));
  const control = options.control ?? new ControlSource<RuleDocument>();
  const finished = () => sourceNames.size > 0 && [...sourceNames].every((n) => ended.has(n));
  control.setFinished(finished);

  const streams = new Map<string, DataStream<RuleEvent>>();
  for (const name of sourceNames) {
    const cfg = config.sources[name];
    const counters = (stats.sources[name] ??= { events: 0, deadLetters: 0 });
    const deadLetters = (d: DeadLetter) => {
      counters.deadLetters++;
      observer?.deadLetter?.(name, d.reason);
      options.deadLetters?.({ ...d, at: Date.now() });
      if (counters.deadLetters <= LOGGED_DEAD_LETTERS) log.warn({ source: name, reason: d.reason, ...("line" in d && { line: d.line }) }, "dead letter");
    };
    const timed = rules.find((r) => r.source === name && r.eventTime !== null);
    let strategy = timed === undefined ? WatermarkStrategy.noWatermarks<RuleEvent>() : WatermarkStrategy.forBoundedOutOfOrderness<RuleEvent>(cfg.outOfOrdernessMs).withTimestampAssigner((e) => timed.timeOf(e) ?? NO_TIMESTAMP);
    if (timed !== undefined && cfg.idlenessMs > 0) strategy = strategy.withIdleness(cfg.idlenessMs);
    const source = trackEnd(
      buildSource(name, cfg, ids, deadLetters),
      () => ended.delete(name),
      () => {
        ended.add(name);
        control.notify();
      },
    );
    let stream = env.fromSource(source, strategy, `source ${name}`).uid(`source:${name}`);
    const now = options.now;
    const stampArrival = rules.some((r) => r.source === name && r.eventTime === null);
    stream = stream
      .map((e: RuleEvent) => {
        counters.events++;
        observer?.eventRead?.(name);
        if (stampArrival && isObject(e) && !ids.arrivals.has(e)) ids.arrivals.set(e, now());
        return e;
      })
      .name(`read ${name}`);
    streams.set(name, stream);
  }

  // no watermarks, and idle (see ControlSource): rule changes never hold event time back
  const updates = env
    .fromSource(control, WatermarkStrategy.noWatermarks<GroupUpdate<RuleDocument>>(), "rule changes")
    .uid("control:rules");

  const outputs: Array<DataStream<Alert>> = [];
  const reported = new Set<string>();
  for (const group of groups.values()) {
    // every group of a source sees its records: one of them reports dead letters to the observer
    const reportsDeadLetters = !reported.has(group.source);
    reported.add(group.source);
    const mine = updates
      .filter((u) => u.group === group.uid)
      .map((u) => u.update)
      .name(`changes of ${group.uid}`);
    outputs.push(groupPipeline(streams.get(group.source)!, mine, group, ids, serviceRules, options, reportsDeadLetters));
  }
  const alerts = outputs.length === 1 ? outputs[0] : outputs[0].union(...outputs.slice(1));

  const routes = (a: Alert): readonly string[] => {
    const r = serviceRules.version(`${a.rule}@${a.version}`)?.rule;
    if (r === undefined) return [];
    return a.timedOut === true && r.onTimeout !== null ? r.onTimeout.sinks : r.alert.sinks;
  };
  for (const name of Object.keys(config.sinks)) {
    if (!plan.sinks.has(name)) {
      log.info({ sink: name }, "no rule sends alerts to this sink");
      continue;
    }
    const routed = alerts
      .filter((a) => {
        if (!routes(a).includes(name)) return false;
        observer?.alertRouted?.(name, a);
        return true;
      })
      .name(`route ${name}`);
    config.sinks[name].forEach((sinkConfig, i) => {
      const sink: Sink<Alert> = buildSink(name, sinkConfig, options.stdout);
      routed.sinkTo(sink, `sink ${name}/${sinkConfig.type}`).uid(`sink:${name}:${i}:${sinkConfig.type}`);
    });
  }
  return Object.assign(stats, { plan, control }) as ServiceJob;
}

function isObject(e: unknown): e is object {
  return typeof e === "object" && e !== null && !Array.isArray(e);
}

/** One group: filter and key the events, run the group's rules in one dynamic CEP operator, build alerts. */
function groupPipeline(
  input: DataStream<RuleEvent>,
  updates: DataStream<PatternUpdate<RuleDocument>>,
  group: GroupKey & { first: LoadedRule; names: string[] },
  ids: EventIdentities,
  serviceRules: ServiceRules,
  options: BuildJobOptions,
  reportsDeadLetters: boolean,
): DataStream<Alert> {
  const { log, observer } = options;
  const { first, uid } = group;
  let loggedMissingTime = 0;
  // rules of a group share key and time field, so the first rule's extractors serve them all
  const keyed = input
    .filter((e) => {
      const counters = serviceRules.counters(uid);
      if (!isObject(e)) {
        for (const c of counters) c.skipped++;
        return false;
      }
      if (!group.processingTime && first.timeOf(e) === null) {
        for (const c of counters) c.invalid++;
        if (reportsDeadLetters) {
          const reason = `no usable event time: field ${first.eventTime} is missing or not a time`;
          observer?.deadLetter?.(group.source, reason);
          const position = ids.positionOf(e);
          options.deadLetters?.({ source: group.source, reason, raw: JSON.stringify(e), at: Date.now(), ...(position !== undefined && { position }) });
        }
        if (reportsDeadLetters && loggedMissingTime++ < LOGGED_DEAD_LETTERS) log.warn({ source: group.source, field: first.eventTime, position: ids.positionOf(e) }, "dead letter: no usable event time");
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

  let patterns = CEP.dynamicPatterns<RuleEvent, RuleDocument, string>(keyed, updates, {
    initial: () => serviceRules.definitions(uid),
    factory: serviceRules.factory,
    onChange: (change) => serviceRules.patternChanged(uid, change),
  }).withEventCodec(ids.codec);
  if (group.processingTime) patterns = patterns.inProcessingTime();
  const timeOf = group.processingTime ? ids.arrivalOf : undefined;
  const alertOptions = { positionOf: ids.positionOf, now: options.now, ...(timeOf && { timeOf }) };

  const ruleOf = (patternId: string): LoadedRule => {
    const rule = serviceRules.version(patternId)?.rule;
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
        serviceRules.stats.rules[ctx.patternId].alerts++;
        const alert = rule.buildAlert(match, keyOfMatch(match), alertOptions);
        observer?.alertEmitted?.(alert);
        collector.collect(alert);
      },
      processTimedOutMatch(match, ctx) {
        const rule = ruleOf(ctx.patternId);
        if (rule.onTimeout === null) return;
        serviceRules.stats.rules[ctx.patternId].timeouts++;
        const alert = rule.buildAlert(match, keyOfMatch(match), { ...alertOptions, timedOutAt: ctx.timestamp() });
        observer?.alertEmitted?.(alert);
        ctx.output(alert);
      },
    })
    .uid(uid)
    .name(`CEP ${group.names.join(", ")}`);

  let loggedLate = 0;
  out.getSideOutput(CEP.lateTag).sinkTo(
    {
      createWriter: () => ({
        write: (e: RuleEvent, ts: number) => {
          for (const c of serviceRules.counters(uid)) c.late++;
          observer?.lateEvent?.(group.source);
          if (loggedLate++ < LOGGED_DEAD_LETTERS) log.warn({ source: group.source, position: ids.positionOf(e), eventTime: ts }, "late event: behind the watermark, not matched (raise the source's outOfOrderness?)");
        },
      }),
    },
    `late ${group.keyText}`,
  ).uid(`late:${uid}`);
  return out;
}
