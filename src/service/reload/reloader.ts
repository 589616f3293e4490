import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { LoadedRule } from "../pattern-file/index.js";
import { formatIssue, isModuleFile, loadRuleFile, loadRuleText, type LoadResult } from "../pattern-file/index.js";
import type { Logger } from "../log.js";
import type { GroupUpdate } from "./control-source.js";
import { groupOf, patternIdOf, replanReason, type JobPlan, type RuleDocument, type RuleVersion, type ServiceRules } from "./service-rules.js";

/** What a change does to the running job. */
export interface JobChange {
  /** Updates for the CEP operators (by group uid). */
  readonly updates: ReadonlyArray<GroupUpdate<RuleDocument>>;
  /** Set when the running job cannot take the change (a new group, source or sink): it must be planned again. */
  readonly replan?: string;
}

export interface ReloaderOptions {
  /** The pattern folder (or the one pattern file). */
  readonly patterns: string;
  readonly patternsIsFolder: boolean;
  readonly rules: ServiceRules;
  readonly log: Logger;
  /** Problems of a rule set with the config (unknown sources or sinks, event-time fields), at each file's pointer. */
  readonly check: (rules: readonly LoadedRule[]) => ReadonlyArray<{ file: string; pointer: string; message: string }>;
  /** What the running job is planned for. */
  readonly plan: () => JobPlan;
  /** Applies a change to the running job. */
  readonly apply: (change: JobChange) => Promise<void>;
  /** The service wrote or deleted a file itself: the watcher should not report it again. */
  readonly acknowledge?: (file: string) => Promise<void>;
}

/** The outcome of one change: deployed (or nothing to do), or rejected with every problem. */
export type ChangeResult =
  | { readonly ok: true; readonly rule?: RuleVersion; readonly created?: boolean; readonly unchanged?: boolean }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * Turns changed pattern files (from the watcher, the REST API or the control stream) into
 * changes of the running job, one at a time. A changed file is validated as at start (schema,
 * expressions, key, unique id, sources and sinks of the config); a file that fails is rejected
 * with every problem logged, one per line, and the running version keeps running. A new version
 * is put into its group's CEP operator (the old one drains there); a removed file's rule is
 * removed with its state. The same version with other content is rejected: alerts name rule and
 * version, so a version must mean one pattern.
 */
export class Reloader {
  /** Pattern file to the rule it defines now. */
  private readonly byFile = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ReloaderOptions) {
    for (const v of options.rules.active()) this.byFile.set(v.document.file, v.rule.id);
  }

  /** A pattern file appeared or changed. */
  fileChanged(file: string): Promise<ChangeResult> {
    return this.serial(async () => {
      let text: string | undefined;
      try {
        text = await readFile(file, "utf8");
      } catch {
        // gone again: the watcher reports the removal
        return { ok: true, unchanged: true };
      }
      const loaded = isModuleFile(file) ? await loadRuleFile(file) : loadRuleText(text, file);
      return this.deploy(file, text, loaded, "file");
    });
  }

  /** A pattern file disappeared: its rule stops and its state is dropped. */
  fileRemoved(file: string): Promise<boolean> {
    return this.serial(async () => {
      const id = this.byFile.get(file);
      if (id === undefined) return false;
      this.byFile.delete(file);
      return this.stop(id, `file ${file} removed`);
    });
  }

  /**
   * Deploys a pattern document given over the REST API or the control stream: validated in
   * memory, written into the pattern folder (`<id>.json`, or the JSON file that defines the rule
   * now), then deployed as a changed file is. Nothing is written when it is invalid.
   */
  putDocument(id: string, document: unknown, origin: "api" | "control"): Promise<ChangeResult> {
    return this.serial(async () => {
      const docId = typeof document === "object" && document !== null ? (document as { id?: unknown }).id : undefined;
      if (docId !== id) return { ok: false, errors: [`the document's id (${JSON.stringify(docId)}) must be ${id}`] };
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) return { ok: false, errors: [`rule id ${id} cannot name a file (letters, digits, '.', '_', '-')`] };
      if (!this.options.patternsIsFolder) return { ok: false, errors: [`the pattern path ${this.options.patterns} is one file, not a folder: rules cannot be added to it`] };
      const existing = this.options.rules.get(id)?.document.file;
      if (existing !== undefined && isModuleFile(existing)) return { ok: false, errors: [`rule ${id} is defined by the module ${existing}: change that file instead`] };
      const file = existing ?? join(this.options.patterns, `${id}.json`);
      const text = `${JSON.stringify(document, null, 2)}\n`;
      const loaded = loadRuleText(text, file);
      const result = await this.deploy(file, text, loaded, origin, async () => {
        // written before the job sees it, atomically (a reader never sees half a file)
        const tmp = join(this.options.patterns, `.${id}.json.${process.pid}.tmp`);
        await writeFile(tmp, text);
        await rename(tmp, file);
        await this.options.acknowledge?.(file);
      });
      return result;
    });
  }

  /** Stops a rule and drops its state, deleting the file that defines it; false if there is no such rule. */
  deleteRule(id: string, origin: "api" | "control"): Promise<boolean> {
    return this.serial(async () => {
      const v = this.options.rules.get(id);
      if (v === undefined) return false;
      const file = v.document.file;
      try {
        await unlink(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
          this.options.log.error({ rule: id, file, err }, "cannot delete the rule's file; the rule is stopped for this run only");
        }
      }
      await this.options.acknowledge?.(file);
      this.byFile.delete(file);
      return this.stop(id, `deleted over ${origin === "api" ? "the REST API" : "the control stream"}`);
    });
  }

  /** Validates and deploys a loaded file; `write` persists it first (documents from the API or control stream). */
  private async deploy(file: string, text: string, loaded: LoadResult, origin: "file" | "api" | "control", write?: () => Promise<void>): Promise<ChangeResult> {
    const { rules, log } = this.options;
    const reject = (errors: string[]): ChangeResult => {
      log.error({ file, origin, problems: errors.length }, `rule rejected: ${file}; the running version (if any) keeps running`);
      for (const e of errors) log.error({ file, origin }, e);
      return { ok: false, errors };
    };
    if (!loaded.ok) return reject(loaded.issues.map(formatIssue));
    const rule = loaded.rule;
    const previousOfFile = this.byFile.get(file);
    const owner = rules.get(rule.id);
    if (owner !== undefined && owner.document.file !== file) {
      return reject([`${file} /id: rule id ${rule.id} is already used by ${owner.document.file}`]);
    }
    // the set after this change, checked against the config as at start
    const others = rules.active().filter((v) => v.rule.id !== rule.id && v.rule.id !== previousOfFile).map((v) => v.rule);
    const mismatches = this.options.check([...others, rule]).filter((m) => m.file === file);
    if (mismatches.length > 0) return reject(mismatches.map((m) => `${m.file} ${m.pointer}: ${m.message}`));
    const version: RuleVersion = { rule, patternId: patternIdOf(rule), document: { file, json: isModuleFile(file) ? null : JSON.parse(stripBom(text)) }, text };
    if (owner !== undefined && owner.rule.version === rule.version) {
      if (owner.text !== undefined && sameContent(owner.text, text, file)) return { ok: true, rule: owner, unchanged: true };
      return reject([`${file} /version: rule ${rule.id} changed but is still version ${rule.version}; give the new pattern a new version (alerts name rule and version)`]);
    }

    await write?.();
    const updates: Array<GroupUpdate<RuleDocument>> = [];
    if (previousOfFile !== undefined && previousOfFile !== rule.id) {
      // the file now defines another rule: the old one goes
      const gone = rules.deactivate(previousOfFile);
      if (gone !== undefined) {
        updates.push({ group: groupOf(gone.rule).uid, update: { op: "remove", name: previousOfFile } });
        log.info({ rule: previousOfFile, version: gone.rule.version, file }, "rule removed: its file now defines another rule");
      }
    }
    const group = groupOf(rule).uid;
    if (owner !== undefined && groupOf(owner.rule).uid !== group) {
      // another source, key or time mode: the old version finishes in its own operator
      updates.push({ group: groupOf(owner.rule).uid, update: { op: "drain", id: owner.patternId } });
    }
    updates.push({ group, update: { op: "put", id: version.patternId, name: rule.id, document: version.document } });
    rules.activate(version);
    this.byFile.set(file, rule.id);
    const replan = replanReason(this.options.plan(), rules.active().map((v) => v.rule));
    log.info(
      { rule: rule.id, version: rule.version, ...(owner !== undefined && { previous: owner.rule.version }), file, origin, ...(replan !== undefined && { replan }) },
      owner === undefined ? "rule deployed" : owner.rule.version < rule.version ? "rule updated: the old version finishes its partial matches" : "rule replaced by another version: the old one finishes its partial matches",
    );
    await this.options.apply({ updates, ...(replan !== undefined && { replan }) });
    return { ok: true, rule: version, created: owner === undefined };
  }

  private async stop(id: string, why: string): Promise<boolean> {
    const gone = this.options.rules.deactivate(id);
    if (gone === undefined) return false;
    this.options.log.info({ rule: id, version: gone.rule.version, file: gone.document.file }, `rule stopped and its state dropped: ${why}`);
    // every operator holding a version of it: the active one's, and any where an old one drains
    const groups = new Set([groupOf(gone.rule).uid, ...this.options.rules.groupsHolding(id)]);
    await this.options.apply({ updates: [...groups].map((group) => ({ group, update: { op: "remove" as const, name: id } })) });
    return true;
  }

  /** One change at a time: watcher, API and control stream may race. */
  private serial<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Same content: the same text, or (JSON) the same document however it is laid out. */
function sameContent(a: string, b: string, file: string): boolean {
  if (a === b) return true;
  if (isModuleFile(file)) return false;
  try {
    return JSON.stringify(JSON.parse(stripBom(a))) === JSON.stringify(JSON.parse(stripBom(b)));
  } catch {
    return false;
  }
}
