import { isAbsolute } from "node:path";
import swagger from "@fastify/swagger";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { fastify, LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifySchema, type FastifySchemaCompiler } from "fastify";
import type { Logger } from "../log.js";
import { validateSchema } from "../pattern-file/index.js";
import type { ServiceControl, ServiceStatus } from "../run/control.js";
import { bearerMatches } from "./auth.js";
import { ApiError, type ApiErrorBody } from "./errors.js";
import { ROUTE_SCHEMAS, sharedSchemas } from "./schemas.js";

/** Prometheus metrics, as a prom-client registry offers them (`register.contentType`, `register.metrics()`). */
export interface ApiMetrics {
  readonly contentType: string;
  text(): Promise<string>;
}

/** What {@link buildApiServer} needs besides the control. */
export interface ApiServerOptions {
  /**
   * The bearer token; when set, every route but /health and /ready needs
   * `Authorization: Bearer <token>`. Comes from the environment, never from the config file.
   */
  readonly token?: string;
  /** Served at GET /metrics; without it, /metrics is 404. */
  readonly metrics?: ApiMetrics;
  /** The version put in the OpenAPI document. */
  readonly version?: string;
  /** Wall clock (ms), for uptimes; `Date.now` by default. */
  readonly now?: () => number;
}

/** Routes open without a token: probes carry no data worth a secret, and kubelets rarely hold one. */
const PUBLIC_ROUTES = new Set(["/health", "/ready"]);

/** A rule document that fails schemas/pattern.schema.json: every problem, one line each. */
class RuleDocumentError extends ApiError {
  constructor(problems: readonly string[]) {
    super(400, "invalid_rule", `the rule document is not valid: ${problems.length} problem${problems.length === 1 ? "" : "s"}`, problems);
  }
}

/**
 * The REST API of a running service, as a fastify instance that is not listening yet
 * ({@link startApiServer} listens); tests call `inject` on it. Every error answers with
 * `{ error, message, details? }`.
 */
export async function buildApiServer(control: ServiceControl, options: ApiServerOptions, log: Logger): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const app = fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new QuietLogController(),
    // request ids in logs; the client's own x-request-id is not trusted
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: "idle",
    bodyLimit: 1_048_576,
    frameworkErrors: (err, _req, reply) => void sendError(reply, new ApiError(err.statusCode ?? 400, "invalid_request", err.message)),
  });
  app.removeContentTypeParser("text/plain");
  const compile = validatorCompiler();
  app.setValidatorCompiler(compile);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Vigil REST API",
        version: options.version ?? "0",
        description: "The API of a running `vigil run` service: its job, rules (deploy, replace, delete), statistics, checkpoints, savepoints and a graceful stop. See docs/rest-api.md.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "Required when the service has a token (the environment variable named by api.tokenEnv, VIGIL_API_TOKEN by default)." } } },
      security: [{ bearer: [] }],
    },
    // shared schemas keep their $id as their name in components.schemas
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === "string" ? json.$id : `def-${i}`) },
  });
  for (const schema of sharedSchemas()) app.addSchema(schema);

  app.addHook("onRequest", async (request, reply) => {
    if (options.token === undefined || PUBLIC_ROUTES.has(request.routeOptions.url ?? "")) return;
    const header = request.headers.authorization;
    if (bearerMatches(header, options.token)) return;
    reply.header("www-authenticate", header === undefined ? 'Bearer realm="vigil"' : 'Bearer realm="vigil", error="invalid_token"');
    throw new ApiError(401, "unauthorized", header === undefined ? "this service needs a bearer token: Authorization: Bearer <token>" : "the bearer token is wrong");
  });

  app.setErrorHandler((err: FastifyError, request, reply) => sendError(reply, toApiError(err, request)));
  app.setNotFoundHandler((request, reply) => sendError(reply, new ApiError(404, "not_found", `no route ${request.method} ${request.url.split("?")[0]} (GET /openapi.json lists them)`)));

  const jobStatus = () => control.status().status;
  const requireRunning = (what: string, alsoWhileRestarting = false) => {
    const status = jobStatus();
    if (status !== "RUNNING" && !(alsoWhileRestarting && status === "RESTARTING")) throw new ApiError(409, "job_not_running", `cannot ${what}: the job is ${status}`);
  };

  app.get("/health", { schema: ROUTE_SCHEMAS.health }, async (_request, reply) => {
    const job = jobStatus();
    return reply.code(job === "FAILED" ? 503 : 200).send({ status: job === "FAILED" ? "down" : "up", job });
  });
  app.get("/ready", { schema: ROUTE_SCHEMAS.ready }, async (_request, reply) => {
    const job = jobStatus();
    return reply.code(job === "RUNNING" ? 200 : 503).send({ ready: job === "RUNNING", job });
  });

  app.get("/jobs", { schema: ROUTE_SCHEMAS.jobs }, async () => ({ jobs: [jobView(control.status(), now())] }));
  app.get<{ Params: { id: string } }>("/jobs/:id", { schema: ROUTE_SCHEMAS.job }, async (request) => {
    if (request.params.id !== control.jobId) throw new ApiError(404, "not_found", `no job ${request.params.id} (this service runs job ${control.jobId})`);
    return jobView(control.status(), now());
  });

  app.get("/rules", { schema: ROUTE_SCHEMAS.rules }, async () => ({ rules: control.rules().map(ruleView) }));
  app.get<{ Params: { id: string } }>("/rules/:id", { schema: ROUTE_SCHEMAS.rule }, async (request) => {
    const rule = control.getRule(request.params.id);
    if (rule === undefined) throw noRule(request.params.id);
    return { ...ruleView(rule), document: rule.document };
  });
  app.put<{ Params: { id: string }; Body: unknown }>(
    "/rules/:id",
    {
      schema: ROUTE_SCHEMAS.putRule,
      // the body is checked as `vigil validate` checks a file, so the API and the CLI word problems alike
      validatorCompiler: (route) => (route.httpPart === "body" ? validateRuleDocument : compile(route)),
    },
    async (request, reply) => {
      const { id } = request.params;
      const docId = (request.body as { id: string }).id;
      if (docId !== id) throw new ApiError(400, "id_mismatch", `the document's id ${JSON.stringify(docId)} is not the path's ${JSON.stringify(id)}`);
      const result = await control.putRule(id, request.body);
      if (!result.ok) throw new RuleDocumentError(result.errors);
      request.log.info({ rule: id, version: result.rule.version, created: result.created }, result.created ? "rule deployed" : "rule replaced");
      if (result.created) reply.header("location", `/rules/${encodeURIComponent(id)}`);
      return reply.code(result.created ? 201 : 200).send({ created: result.created, rule: ruleView(result.rule) });
    },
  );
  app.delete<{ Params: { id: string } }>("/rules/:id", { schema: ROUTE_SCHEMAS.deleteRule }, async (request, reply) => {
    if (!(await control.deleteRule(request.params.id))) throw noRule(request.params.id);
    request.log.info({ rule: request.params.id }, "rule deleted");
    return reply.code(204).send();
  });
  app.get<{ Params: { id: string } }>("/rules/:id/stats", { schema: ROUTE_SCHEMAS.ruleStats }, async (request) => {
    const { id } = request.params;
    const versions = control.ruleStats().filter((s) => s.rule === id);
    if (versions.length === 0 && !control.rules().some((r) => r.id === id)) throw noRule(id);
    return { rule: id, versions };
  });
  app.get("/stats/rules", { schema: ROUTE_SCHEMAS.stats }, async () => ({ rules: control.ruleStats() }));

  app.get("/checkpoints", { schema: ROUTE_SCHEMAS.checkpoints }, async () => ({ checkpoints: control.checkpoints() }));
  app.post("/checkpoints", { schema: ROUTE_SCHEMAS.triggerCheckpoint }, async (request, reply) => {
    requireRunning("take a checkpoint");
    const snapshot = await control.triggerCheckpoint();
    request.log.info({ checkpoint: snapshot.checkpointId, location: snapshot.location }, "checkpoint taken on request");
    return reply.code(201).send(snapshot);
  });
  app.post<{ Body: { directory?: string } | null }>("/savepoints", { schema: ROUTE_SCHEMAS.savepoint }, async (request, reply) => {
    const directory = request.body?.directory;
    if (directory !== undefined && !isAbsolute(directory)) throw new ApiError(400, "invalid_request", `directory must be an absolute path on the service's machine, got ${JSON.stringify(directory)}`);
    requireRunning("take a savepoint");
    const path = await control.triggerSavepoint(directory);
    request.log.info({ path }, "savepoint taken on request");
    return reply.code(201).send({ path });
  });
  app.post<{ Querystring: { wait: boolean } }>("/stop", { schema: ROUTE_SCHEMAS.stop }, async (request, reply) => {
    requireRunning("stop", true);
    request.log.info("stop requested through the REST API");
    const stopping = control.stop();
    if (!request.query.wait) {
      stopping.catch((err: unknown) => request.log.error({ err }, "stopping failed"));
      return reply.code(202).send({ stopping: true });
    }
    const snapshot = await stopping;
    return { stopped: true, snapshot: snapshot ?? null };
  });

  app.get("/openapi.json", { schema: ROUTE_SCHEMAS.openapi }, async () => app.swagger());
  app.get("/metrics", { schema: ROUTE_SCHEMAS.metrics }, async (_request, reply) => {
    if (options.metrics === undefined) throw new ApiError(404, "not_found", "this service runs without metrics");
    const text = await options.metrics.text();
    return reply.type(options.metrics.contentType).send(text);
  });

  return app;
}

function noRule(id: string): ApiError {
  return new ApiError(404, "not_found", `no rule ${id}`);
}

function jobView(status: ServiceStatus, now: number) {
  return {
    id: status.jobId,
    name: status.jobName,
    status: status.status,
    startedAt: new Date(status.startedAt).toISOString(),
    uptimeMs: Math.max(0, now - status.startedAt),
    restoredFrom: status.restoredFrom ?? null,
    sources: status.sources,
    rules: status.rules,
  };
}

function ruleView(rule: ReturnType<ServiceControl["rules"]>[number]) {
  return { id: rule.id, version: rule.version, description: rule.description ?? null, source: rule.source, file: rule.file, state: rule.state };
}

function validateRuleDocument(body: unknown): true | { error: ApiError } {
  const issues = validateSchema("body", body);
  if (issues.length === 0) return true;
  return { error: new RuleDocumentError(issues.map((i) => `${i.pointer === "" ? "/" : i.pointer}: ${i.message}`)) };
}

/**
 * Validators of the other request parts. Bodies are JSON and checked as they are (no coercion, no
 * properties silently removed, as fastify's default ajv options would); params and query strings
 * are text, coerced to the schema's types.
 */
function validatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const strict = new Ajv2020({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true });
  const coercing = new Ajv2020({ allErrors: true, verbose: true, strict: false, allowUnionTypes: true, coerceTypes: true, useDefaults: true });
  return ({ schema, httpPart }) => {
    const validate: ValidateFunction = (httpPart === "body" ? strict : coercing).compile(schema as object);
    return validate;
  };
}

/** Any error of a request as the API's error shape. */
function toApiError(err: FastifyError, request: FastifyRequest): ApiError {
  if (err instanceof ApiError) return err;
  if (err.validation !== undefined) {
    const part = err.validationContext ?? "request";
    const details = err.validation.map((e) => `${part}${e.instancePath}: ${validationMessage(e)}`);
    return new ApiError(400, "invalid_request", `bad request: ${details.join("; ")}`, details);
  }
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, "unsupported_media_type", `send the body as JSON (Content-Type: application/json), not ${request.headers["content-type"] ?? "without a type"}`);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(400, "invalid_json", "the body is empty but its Content-Type is application/json");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError(400, "invalid_json", `the body is not valid JSON: ${err.message}`);
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, "payload_too_large", "the body is larger than 1 MiB");
    default:
      break;
  }
  if (err instanceof SyntaxError && err.statusCode === 400) return new ApiError(400, "invalid_json", `the body is not valid JSON: ${err.message}`);
  const status = err.statusCode ?? 500;
  if (status < 500) return new ApiError(status, (err.code ?? "bad_request").replace(/^FST_ERR_/, "").toLowerCase(), err.message);
  request.log.error({ err, method: request.method, url: request.url }, "request failed");
  return new ApiError(500, "internal", `${request.method} ${request.routeOptions.url ?? request.url} failed: ${err.message}`);
}

/** An ajv error of a request part in words (the schemas' `patternErrorMessage` where they have one). */
function validationMessage(e: NonNullable<FastifyError["validation"]>[number]): string {
  const params = e.params as Record<string, unknown>;
  const parent = ((e as { parentSchema?: unknown }).parentSchema ?? {}) as Record<string, unknown>;
  if (e.keyword === "additionalProperties") return `${String(params.additionalProperty)} is not a known property`;
  if (e.keyword === "pattern" && typeof parent.patternErrorMessage === "string") return parent.patternErrorMessage;
  return e.message ?? `fails ${e.keyword}`;
}

function sendError(reply: FastifyReply, err: ApiError): FastifyReply {
  const body: ApiErrorBody = err.body();
  return reply.code(err.statusCode).type("application/json; charset=utf-8").send(body);
}

/**
 * Request logs without noise: a line per request at `debug` for reads that succeed (probes,
 * scrapes, status polls), at `info` for everything else. Only method, path, status and time are
 * logged: never headers, so never the Authorization header.
 */
class QuietLogController extends LogController {
  override incomingRequest(): void {
    // one line per request is enough: requestCompleted has it all
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTimeMs: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, "request errored");
    else if ((request.method === "GET" || request.method === "HEAD") && reply.statusCode < 400) reply.log.debug(line, "request completed");
    else reply.log.info(line, "request completed");
  }

  override routeNotFound(): void {
    // answered (and logged by requestCompleted) as 404
  }

  override defaultErrorLog(): void {
    // our error handler answers every error; 5xx are logged there
  }
}
