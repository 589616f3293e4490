import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JobStatus, StoredSnapshot } from "../../../src/runtime/index.js";
import { formatIssue, loadRuleText } from "../../../src/service/pattern-file/index.js";
import type { PutRuleResult, RuleInfo, RuleStatistics, ServiceControl, ServiceStatus } from "../../../src/service/run/control.js";

export const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** A pattern document of the repository's patterns/ folder. */
export function patternDocument(name: string): Record<string, unknown> {
  const { $schema: _hint, ...doc } = JSON.parse(readFileSync(join(ROOT, "patterns", `${name}.json`), "utf8")) as Record<string, unknown>;
  return doc;
}

/**
 * A ServiceControl over plain data: rules are compiled as the loader does (so putRule reports
 * expression errors), checkpoints are made up, and every call is recorded.
 */
export class FakeControl implements ServiceControl {
  readonly jobId = "0f3c9a12";
  jobStatus: JobStatus = "RUNNING";
  readonly calls: string[] = [];
  private readonly docs = new Map<string, { info: RuleInfo; document: unknown }>();
  private readonly snapshots: StoredSnapshot[] = [];
  stopResult: string | undefined = "/tmp/vigil/savepoints/savepoint-1";
  /** When set, stop() waits for it. */
  stopGate: Promise<void> | undefined;

  constructor(rules: string[] = ["card-testing", "impossible-travel"]) {
    for (const name of rules) {
      const document = patternDocument(name);
      this.docs.set(name, { info: info(document, `patterns/${name}.json`), document });
    }
  }

  status(): ServiceStatus {
    return { jobId: this.jobId, jobName: "vigil", status: this.jobStatus, startedAt: Date.UTC(2025, 0, 2, 3, 4, 5), restoredFrom: "/tmp/vigil/checkpoints/chk-7", rules: this.docs.size, sources: ["transactions"] };
  }

  rules(): RuleInfo[] {
    return [...this.docs.values()].map((r) => r.info);
  }

  getRule(id: string) {
    const r = this.docs.get(id);
    return r === undefined ? undefined : { ...r.info, document: r.document };
  }

  async putRule(id: string, document: unknown): Promise<PutRuleResult> {
    this.calls.push(`putRule ${id}`);
    const loaded = loadRuleText(JSON.stringify(document), `api:${id}`);
    if (!loaded.ok) return { ok: false, errors: loaded.issues.map(formatIssue) };
    const created = !this.docs.has(id);
    const rule = info(document as Record<string, unknown>, `api:${id}`);
    this.docs.set(id, { info: rule, document });
    return { ok: true, rule, created };
  }

  async deleteRule(id: string): Promise<boolean> {
    this.calls.push(`deleteRule ${id}`);
    return this.docs.delete(id);
  }

  ruleStats(): RuleStatistics[] {
    return this.rules().map((r, i) => ({ rule: r.id, version: r.version, events: 100 + i, skipped: 2, invalid: 1, late: 0, alerts: 3, timeouts: 0 }));
  }

  checkpoints(): readonly StoredSnapshot[] {
    return this.snapshots;
  }

  async triggerCheckpoint(): Promise<StoredSnapshot> {
    this.calls.push("triggerCheckpoint");
    const id = this.snapshots.length + 8;
    const s: StoredSnapshot = { checkpointId: id, kind: "checkpoint", location: `/tmp/vigil/checkpoints/chk-${id}`, bytesWritten: 1024, size: 4096 };
    this.snapshots.push(s);
    return s;
  }

  async triggerSavepoint(directory?: string): Promise<string> {
    this.calls.push(`triggerSavepoint ${directory ?? "(default)"}`);
    return `${directory ?? "/tmp/vigil/checkpoints/savepoints"}/savepoint-9`;
  }

  async stop(): Promise<string | undefined> {
    this.calls.push("stop");
    if (this.stopGate !== undefined) await this.stopGate;
    this.jobStatus = "FINISHED";
    return this.stopResult;
  }
}

function info(doc: Record<string, unknown>, file: string): RuleInfo {
  return { id: String(doc.id), version: Number(doc.version), description: typeof doc.description === "string" ? doc.description : undefined, source: String(doc.source), file, state: "active" };
}
