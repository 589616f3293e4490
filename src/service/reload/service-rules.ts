import { VigilError, type Nfa, type PatternDefinition, type PatternSetChange } from "../../cep/index.js";
import { loadRuleText, type LoadedRule, type RuleEvent } from "../pattern-file/index.js";
import type { RuleInfo } from "../run/index.js";

/** Counters of one rule version (see `RunStats`). */
export interface RuleCounters {
  rule: string;
  version: number;
  events: number;
  skipped: number;
  invalid: number;
  late: number;
  alerts: number;
  timeouts: number;
}

/** Counters of one run, per source and per rule version (`rule@version`); new versions are added as they arrive. */
export interface RunStats {
  readonly sources: Record<string, { events: number; deadLetters: number }>;
  readonly rules: Record<string, RuleCounters>;
}

/**
 * What the CEP operators keep of a rule version in their checkpointed pattern set: the file it
 * came from and, for a JSON pattern file, its document, from which a restored draining version
 * is loaded again. A module rule (`*.ts`) has no document: only the versions this process loaded
 * can run.
 */
export interface RuleDocument {
  readonly file: string;
  readonly json: unknown;
}

/** One version of a rule, as the service runs it. */
export interface RuleVersion {
  readonly rule: LoadedRule;
  /** `<rule>@<version>`: the pattern id in the CEP operator and in alerts' stats. */
  readonly patternId: string;
  readonly document: RuleDocument;
  /** The file's text (to tell a real change from a touch), when it came from a file. */
  readonly text: string | undefined;
}

/** A group of rules sharing source, key and time mode: one keyBy and one CEP operator. */
export interface GroupKey {
  readonly uid: string;
  readonly source: string;
  readonly keyText: string;
  readonly processingTime: boolean;
}

export function groupOf(rule: LoadedRule): GroupKey {
  const keyText = JSON.stringify(rule.key);
  const processingTime = rule.eventTime === null;
  return { uid: `cep:${rule.source}:${keyText}:${processingTime ? "processing" : "event"}`, source: rule.source, keyText, processingTime };
}

export const patternIdOf = (rule: LoadedRule): string => `${rule.id}@${rule.version}`;

/** What a running CEP operator has, as its changes report it. */
interface GroupState {
  /** Pattern id to its state in the operator. */
  readonly set: Map<string, "active" | "draining">;
  /** Counters of the versions in the operator (events, skipped, ... are counted for each). */
  counters: RuleCounters[];
}

/**
 * The rules of a running service: the active version of each rule, every version seen since
 * start (alerts of a draining version are built by it), what each CEP operator runs, and the
 * counters. One process, one thread: the job's functions read it directly.
 */
export class ServiceRules {
  readonly stats: RunStats = { sources: {}, rules: {} };
  private readonly current = new Map<string, RuleVersion>();
  private readonly versions = new Map<string, RuleVersion>();
  private readonly groups = new Map<string, GroupState>();

  constructor(initial: readonly RuleVersion[]) {
    for (const v of initial) this.activate(v);
  }

  /** The active version of every rule, by rule id. */
  active(): RuleVersion[] {
    return [...this.current.values()].sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0));
  }

  get(ruleId: string): RuleVersion | undefined {
    return this.current.get(ruleId);
  }

  /** Any version this process knows (active, draining, or loaded back from a checkpoint). */
  version(patternId: string): RuleVersion | undefined {
    return this.versions.get(patternId);
  }

  /** The active rules of a group, as the operator's `initial` set. */
  definitions(uid: string): Array<PatternDefinition<RuleDocument>> {
    return this.active()
      .filter((v) => groupOf(v.rule).uid === uid)
      .map((v) => ({ id: v.patternId, name: v.rule.id, document: v.document }));
  }

  /** Makes `v` the active version of its rule (registering its counters). */
  activate(v: RuleVersion): void {
    this.register(v);
    this.current.set(v.rule.id, v);
  }

  deactivate(ruleId: string): RuleVersion | undefined {
    const v = this.current.get(ruleId);
    this.current.delete(ruleId);
    return v;
  }

  private register(v: RuleVersion): void {
    this.versions.set(v.patternId, v);
    this.stats.rules[v.patternId] ??= { rule: v.rule.id, version: v.rule.version, events: 0, skipped: 0, invalid: 0, late: 0, alerts: 0, timeouts: 0 };
  }

  /**
   * The CEP operators' pattern factory: the version loaded in this process, or (a draining
   * version restored from a checkpoint) its JSON document loaded again.
   */
  readonly factory = (d: PatternDefinition<RuleDocument>): Nfa<RuleEvent> => {
    const known = this.versions.get(d.id);
    if (known !== undefined) return known.rule.nfa;
    const { file, json } = d.document ?? ({} as Partial<RuleDocument>);
    if (json === null || json === undefined) throw new VigilError(`rule version ${d.id} (${file ?? "?"}) is a module rule: it cannot be loaded from a checkpoint`, { code: "RULE_UNAVAILABLE" });
    const loaded = loadRuleText(JSON.stringify(json), file ?? d.id);
    if (!loaded.ok) throw new VigilError(`rule version ${d.id} from the checkpoint no longer loads: ${loaded.issues.map((i) => i.message).join("; ")}`, { code: "RULE_UNAVAILABLE" });
    if (patternIdOf(loaded.rule) !== d.id) throw new VigilError(`checkpointed document of ${d.id} is rule ${patternIdOf(loaded.rule)}`, { code: "RULE_UNAVAILABLE" });
    this.register({ rule: loaded.rule, patternId: d.id, document: d.document, text: undefined });
    return loaded.rule.nfa;
  };

  /** The counters of the versions a group's operator runs now (read on every event). */
  counters(uid: string): RuleCounters[] {
    return this.group(uid).counters;
  }

  private group(uid: string): GroupState {
    let g = this.groups.get(uid);
    if (g === undefined) {
      g = { set: new Map(), counters: [] };
      for (const d of this.definitions(uid)) g.set.set(d.id, "active");
      this.groups.set(uid, g);
      this.refresh(g);
    }
    return g;
  }

  /** A change the CEP operator of group `uid` reports. */
  patternChanged(uid: string, change: PatternSetChange): void {
    const g = this.group(uid);
    switch (change.kind) {
      case "added":
      case "reactivated":
        g.set.set(change.id, "active");
        break;
      case "restored":
        g.set.set(change.id, change.state ?? "active");
        break;
      case "draining":
        g.set.set(change.id, "draining");
        break;
      case "retired":
      case "removed":
        g.set.delete(change.id);
        break;
      case "rejected":
        break;
    }
    this.refresh(g);
  }

  private refresh(g: GroupState): void {
    // a new array: the job's filter reads the group's list per event
    g.counters = [...g.set.keys()].map((id) => this.stats.rules[id]).filter((c): c is RuleCounters => c !== undefined);
  }

  /** Groups whose operator runs some version of rule `ruleId`. */
  groupsHolding(ruleId: string): string[] {
    const out: string[] = [];
    for (const [uid, g] of this.groups) if ([...g.set.keys()].some((id) => this.versions.get(id)?.rule.id === ruleId)) out.push(uid);
    return out;
  }

  /** Every rule version running: the active ones, and old ones still draining in an operator. */
  ruleInfos(): RuleInfo[] {
    const out: RuleInfo[] = [];
    const seen = new Set<string>();
    for (const v of this.active()) {
      seen.add(v.patternId);
      out.push(info(v, "active"));
    }
    for (const g of this.groups.values()) {
      for (const [id, state] of g.set) {
        if (state !== "draining" || seen.has(id)) continue;
        const v = this.versions.get(id);
        if (v === undefined) continue;
        seen.add(id);
        out.push(info(v, "draining"));
      }
    }
    return out;
  }
}

function info(v: RuleVersion, state: "active" | "draining"): RuleInfo {
  return { id: v.rule.id, version: v.rule.version, description: v.rule.description, source: v.rule.source, file: v.document.file, state };
}

/** What the job plan fixes: groups (operators), per source its event-time field, the sinks in use. */
export interface JobPlan {
  readonly groups: ReadonlySet<string>;
  readonly timeFields: Readonly<Record<string, string | null>>;
  readonly sinks: ReadonlySet<string>;
}

export function planOf(rules: readonly LoadedRule[]): JobPlan {
  const timeFields: Record<string, string | null> = {};
  for (const r of rules) {
    if (!(r.source in timeFields)) timeFields[r.source] = null;
    if (r.eventTime !== null) timeFields[r.source] = r.eventTime;
  }
  return {
    groups: new Set(rules.map((r) => groupOf(r).uid)),
    timeFields,
    sinks: new Set(rules.flatMap((r) => [...r.alert.sinks, ...(r.onTimeout?.sinks ?? [])])),
  };
}

/** Why the running job cannot take `rules` without being planned again (undefined: it can). */
export function replanReason(plan: JobPlan, rules: readonly LoadedRule[]): string | undefined {
  const next = planOf(rules);
  for (const g of next.groups) if (!plan.groups.has(g)) return `no operator for ${g} in the running job`;
  for (const [source, field] of Object.entries(next.timeFields)) {
    if (!(source in plan.timeFields)) return `source ${source} is not read by the running job`;
    if (field !== null && plan.timeFields[source] !== field) return `source ${source} changes its event-time field to ${field}`;
  }
  for (const s of next.sinks) if (!plan.sinks.has(s)) return `sink ${s} is not used by the running job`;
  return undefined;
}
