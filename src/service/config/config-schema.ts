import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { packageFile } from "../package-files.js";
import { TYPE_NAMES } from "../json-error.js";

/** Where the published schema of the service config is. */
export function configSchemaPath(): string {
  return packageFile("schemas/vigil.config.schema.json");
}

let validator: ValidateFunction | undefined;

function getValidator(): ValidateFunction {
  if (validator === undefined) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
    // editor annotations (VS Code understands them); ajv only has to accept them
    ajv.addKeyword("patternErrorMessage");
    ajv.addKeyword("errorMessage");
    validator = ajv.compile(JSON.parse(readFileSync(configSchemaPath(), "utf8")) as object);
  }
  return validator;
}

/** One problem of a config: the JSON pointer of the offending value and what is wrong. */
export interface ConfigIssue {
  readonly pointer: string;
  readonly message: string;
}

/**
 * Validates a parsed config against schemas/vigil.config.schema.json; one issue per problem,
 * each at its JSON pointer. Errors that only repeat a more precise one (`if`, `anyOf`'s branches
 * when a branch's own error says more) are left out.
 */
export function validateConfigSchema(doc: unknown): ConfigIssue[] {
  const validate = getValidator();
  if (validate(doc)) return [];
  const errors = dropAnyOfNoise(validate.errors ?? []);
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const issue = translate(e);
    if (issue === undefined) continue;
    const id = `${issue.pointer}\u0000${issue.message}`;
    if (!seen.has(id)) {
      seen.add(id);
      issues.push(issue);
    }
  }
  return issues;
}

/**
 * An `anyOf` that fails reports every branch; keep what helps. When some branch got further than
 * the value's type (an error inside the value, or a pattern or limit on it), those errors say
 * what is wrong and the other branches' "must be <type>" are noise; when every branch failed on
 * type, they become one "must be a or b".
 */
function dropAnyOfNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  const merged = new Map<string, number>();
  for (const e of errors) {
    if (e.keyword === "anyOf") continue;
    if (e.keyword !== "type") {
      out.push(e);
      continue;
    }
    const p = e.instancePath;
    const better = errors.some((o) => o.keyword !== "anyOf" && o.keyword !== "type" && (o.instancePath === p || o.instancePath.startsWith(`${p}/`)));
    if (better) continue;
    const type = String((e.params as { type: unknown }).type);
    const at = merged.get(p);
    if (at === undefined) {
      merged.set(p, out.length);
      out.push({ ...e, params: { type } });
    } else {
      out[at] = { ...out[at], params: { type: `${String((out[at].params as { type: string }).type)} or ${type}` } };
    }
  }
  return out;
}

function child(pointer: string, name: string): string {
  return `${pointer}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

function translate(e: ErrorObject): ConfigIssue | undefined {
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const params = e.params as Record<string, unknown>;
  const at = e.instancePath;
  switch (e.keyword) {
    case "if":
    case "propertyNames":
      return undefined;
    case "oneOf":
      return { pointer: at, message: typeof parent.errorMessage === "string" ? parent.errorMessage : "must match exactly one of the allowed shapes" };
    case "required":
      return { pointer: child(at, String(params.missingProperty)), message: "is required" };
    case "additionalProperties":
      return { pointer: child(at, String(params.additionalProperty)), message: `is not a known property (expected: ${Object.keys((parent.properties ?? {}) as object).join(", ")})` };
    case "type":
      return { pointer: at, message: `must be ${String(params.type).split(/ or |,/).map((t) => TYPE_NAMES[t] ?? t).join(" or ")}` };
    case "enum":
      return { pointer: at, message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}` };
    case "pattern": {
      const named = (e as { propertyName?: string }).propertyName;
      const message = typeof parent.patternErrorMessage === "string" ? parent.patternErrorMessage : `must match ${String(params.pattern)}`;
      return named === undefined ? { pointer: at, message } : { pointer: child(at, named), message: `name ${message}` };
    }
    case "minProperties":
      return { pointer: at, message: `must have at least ${String(params.limit)} entr${params.limit === 1 ? "y" : "ies"}` };
    case "minItems":
      return { pointer: at, message: `must have at least ${String(params.limit)} item${params.limit === 1 ? "" : "s"}` };
    case "minLength":
      return { pointer: at, message: "must not be empty" };
    case "minimum":
      return { pointer: at, message: `must be at least ${String(params.limit)}` };
    case "maximum":
      return { pointer: at, message: `must be at most ${String(params.limit)}` };
    default:
      return { pointer: at, message: e.message ?? `fails ${e.keyword}` };
  }
}
