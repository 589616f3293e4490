import { readFileSync } from "node:fs";
import { schemaPath } from "../pattern-file/index.js";
import { ERROR_SCHEMA } from "./errors.js";

/*
 * The JSON Schemas of the routes. Fastify validates requests with them and serialises responses
 * with them; @fastify/swagger turns them (and the shared ones below, by `$id`) into the OpenAPI
 * document. Keep them in step with the handlers: a property missing from a response schema is
 * dropped from the response.
 */

const JOB_STATUSES = ["CREATED", "RUNNING", "RESTARTING", "FINISHED", "CANCELED", "FAILED"];
/** The rule id pattern of schemas/pattern.schema.json. */
export const RULE_ID = { type: "string", maxLength: 128, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$", patternErrorMessage: "must be a rule id: letters, digits, '.', '_' and '-', starting with a letter or digit", description: "A rule id: letters, digits, '.', '_' and '-', starting with a letter or digit." } as const;

/** schemas/pattern.schema.json, as the shared schema `PatternDocument` (the body of PUT /rules/:id). */
export function patternDocumentSchema(): Record<string, unknown> {
  const { $schema: _meta, ...schema } = JSON.parse(readFileSync(schemaPath(), "utf8")) as Record<string, unknown>;
  return { ...schema, $id: "PatternDocument" };
}

const JOB = {
  $id: "Job",
  type: "object",
  required: ["id", "name", "status", "startedAt", "uptimeMs", "restoredFrom", "sources", "rules"],
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    status: { type: "string", enum: JOB_STATUSES },
    startedAt: { type: "string", format: "date-time" },
    uptimeMs: { type: "integer" },
    restoredFrom: { type: ["string", "null"], description: "The checkpoint or savepoint the service resumed from." },
    sources: { type: "array", items: { type: "string" } },
    rules: { type: "integer", description: "How many rules run (old versions still draining included)." },
  },
} as const;

const RULE_PROPERTIES = {
  id: { type: "string" },
  version: { type: "integer" },
  description: { type: ["string", "null"] },
  source: { type: "string" },
  file: { type: "string", description: "The pattern file it came from (or api: / control: for rules deployed otherwise)." },
  state: { type: "string", enum: ["active", "draining"], description: "draining: an old version finishing the partial matches it started." },
} as const;

const RULE = { $id: "Rule", type: "object", required: Object.keys(RULE_PROPERTIES), properties: RULE_PROPERTIES } as const;

const RULE_WITH_DOCUMENT = {
  $id: "RuleWithDocument",
  type: "object",
  required: [...Object.keys(RULE_PROPERTIES), "document"],
  properties: { ...RULE_PROPERTIES, document: { description: "The pattern document the rule was loaded from (schemas/pattern.schema.json)." } },
} as const;

const RULE_STATISTICS = {
  $id: "RuleStatistics",
  type: "object",
  required: ["rule", "version", "events", "skipped", "invalid", "late", "alerts", "timeouts"],
  properties: {
    rule: { type: "string" },
    version: { type: "integer" },
    events: { type: "integer", description: "Events the rule processed." },
    skipped: { type: "integer", description: "Events without the rule's key." },
    invalid: { type: "integer", description: "Events without a usable event time." },
    late: { type: "integer", description: "Events behind the watermark (not matched)." },
    alerts: { type: "integer" },
    timeouts: { type: "integer", description: "Alerts of timed-out partial matches (onTimeout)." },
  },
} as const;

const SNAPSHOT = {
  $id: "Snapshot",
  type: "object",
  required: ["checkpointId", "kind", "location", "bytesWritten", "size"],
  properties: {
    checkpointId: { type: "integer" },
    kind: { type: "string", enum: ["checkpoint", "savepoint"] },
    location: { type: "string" },
    bytesWritten: { type: "integer", description: "Bytes written for this snapshot (not counting key groups reused from earlier checkpoints)." },
    size: { type: "integer", description: "Bytes of the whole snapshot." },
  },
} as const;

/** Shared schemas, added to the server by `$id` (and so named in the OpenAPI document's components). */
export function sharedSchemas(): Array<Record<string, unknown>> {
  return [ERROR_SCHEMA, JOB, RULE, RULE_WITH_DOCUMENT, RULE_STATISTICS, SNAPSHOT, patternDocumentSchema()];
}

const ref = (id: string) => ({ $ref: `${id}#` });
const error = (description: string) => ({ description, ...ref("Error") });
const AUTH_ERRORS = { 401: error("No or a wrong bearer token (when the service has one).") };
const idParams = (what: string) => ({ type: "object", required: ["id"], properties: { id: { ...RULE_ID, description: what } } });

/** The `schema` of each route, by `METHOD path`. */
export const ROUTE_SCHEMAS = {
  health: {
    summary: "Liveness: 200 while the process serves (even while the job restarts); 503 once the job has failed for good.",
    tags: ["probes"],
    security: [],
    response: {
      200: { type: "object", required: ["status", "job"], properties: { status: { type: "string", enum: ["up"] }, job: { type: "string", enum: JOB_STATUSES } } },
      503: { type: "object", required: ["status", "job"], properties: { status: { type: "string", enum: ["down"] }, job: { type: "string", enum: JOB_STATUSES } } },
    },
  },
  ready: {
    summary: "Readiness: 200 while the job is RUNNING, 503 otherwise (starting, restarting, stopping, ended).",
    tags: ["probes"],
    security: [],
    response: {
      200: { type: "object", required: ["ready", "job"], properties: { ready: { type: "boolean" }, job: { type: "string", enum: JOB_STATUSES } } },
      503: { type: "object", required: ["ready", "job"], properties: { ready: { type: "boolean" }, job: { type: "string", enum: JOB_STATUSES } } },
    },
  },
  jobs: {
    summary: "The service's job (a service runs one).",
    tags: ["jobs"],
    response: { 200: { type: "object", required: ["jobs"], properties: { jobs: { type: "array", items: ref("Job") } } }, ...AUTH_ERRORS },
  },
  job: {
    summary: "The job, by id.",
    tags: ["jobs"],
    params: { type: "object", required: ["id"], properties: { id: { type: "string" } } },
    response: { 200: ref("Job"), 404: error("No job with this id."), ...AUTH_ERRORS },
  },
  rules: {
    summary: "Every rule the service runs, old versions still draining included.",
    tags: ["rules"],
    response: { 200: { type: "object", required: ["rules"], properties: { rules: { type: "array", items: ref("Rule") } } }, ...AUTH_ERRORS },
  },
  rule: {
    summary: "One rule (its newest version) with the document it was loaded from.",
    tags: ["rules"],
    params: idParams("The rule id."),
    response: { 200: ref("RuleWithDocument"), 400: error("Not a rule id."), 404: error("No such rule."), ...AUTH_ERRORS },
  },
  putRule: {
    summary: "Deploys a rule: the body is a pattern document whose id is the path's; it is validated (schema, expressions, sources and sinks) and swapped in as a changed pattern file is.",
    tags: ["rules"],
    params: idParams("The rule id; must equal the document's id."),
    body: ref("PatternDocument"),
    response: {
      200: { description: "Replaced an existing rule.", type: "object", required: ["created", "rule"], properties: { created: { type: "boolean" }, rule: ref("Rule") } },
      201: { description: "Created a new rule.", type: "object", required: ["created", "rule"], properties: { created: { type: "boolean" }, rule: ref("Rule") } },
      400: error("Not JSON, not a valid pattern document (every problem in details, one per line), or its id is not the path's."),
      415: error("The body is not application/json."),
      ...AUTH_ERRORS,
    },
  },
  deleteRule: {
    summary: "Stops a rule and drops its state, as removing its pattern file does.",
    tags: ["rules"],
    params: idParams("The rule id."),
    response: { 204: { description: "Deleted.", type: "null" }, 404: error("No such rule."), ...AUTH_ERRORS },
  },
  ruleStats: {
    summary: "Counters of one rule since the service started, one entry per version.",
    tags: ["stats"],
    params: idParams("The rule id."),
    response: {
      200: { type: "object", required: ["rule", "versions"], properties: { rule: { type: "string" }, versions: { type: "array", items: ref("RuleStatistics") } } },
      404: error("No such rule."),
      ...AUTH_ERRORS,
    },
  },
  stats: {
    summary: "Counters of every rule since the service started.",
    tags: ["stats"],
    response: { 200: { type: "object", required: ["rules"], properties: { rules: { type: "array", items: ref("RuleStatistics") } } }, ...AUTH_ERRORS },
  },
  checkpoints: {
    summary: "The checkpoints and savepoints completed by this run, oldest first.",
    tags: ["checkpoints"],
    response: { 200: { type: "object", required: ["checkpoints"], properties: { checkpoints: { type: "array", items: ref("Snapshot") } } }, ...AUTH_ERRORS },
  },
  triggerCheckpoint: {
    summary: "Takes a checkpoint now; answers when it is stored.",
    tags: ["checkpoints"],
    response: { 201: ref("Snapshot"), 409: error("The job is not running."), ...AUTH_ERRORS },
  },
  savepoint: {
    summary: "Takes a savepoint (under the configured savepoint folder, or `directory`); answers with its path when it is stored. The job goes on.",
    tags: ["checkpoints"],
    body: {
      type: ["object", "null"],
      additionalProperties: false,
      properties: { directory: { type: "string", minLength: 1, description: "An absolute path on the service's machine." } },
    },
    response: {
      201: { type: "object", required: ["path"], properties: { path: { type: "string" } } },
      400: error("Not JSON, an unknown property, or a directory that is not an absolute path."),
      409: error("The job is not running."),
      ...AUTH_ERRORS,
    },
  },
  stop: {
    summary: "Graceful stop, as SIGTERM: the configured savepoint or final checkpoint, then the service exits 0. Answers once the snapshot is taken (or at once with ?wait=false).",
    tags: ["jobs"],
    querystring: { type: "object", additionalProperties: false, properties: { wait: { type: "boolean", default: true, description: "false: answer 202 at once." } } },
    response: {
      200: { type: "object", required: ["stopped", "snapshot"], properties: { stopped: { type: "boolean" }, snapshot: { type: ["string", "null"] } } },
      202: { type: "object", required: ["stopping"], properties: { stopping: { type: "boolean" } } },
      409: error("The job is not running (it has ended or is not started)."),
      ...AUTH_ERRORS,
    },
  },
  openapi: {
    summary: "This API's OpenAPI 3.1 document.",
    tags: ["meta"],
    response: { 200: { type: "object", additionalProperties: true }, ...AUTH_ERRORS },
  },
  metrics: {
    summary: "Prometheus metrics (text exposition format); 404 when the service runs without metrics.",
    tags: ["meta"],
    response: { 200: { description: "Prometheus text exposition format.", content: { "text/plain": { schema: { type: "string" } } } }, 404: error("Metrics are not enabled."), ...AUTH_ERRORS },
  },
};
