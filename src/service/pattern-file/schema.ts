import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { packageFile } from "../package-files.js";
import { childPointer, type RuleIssue } from "./issue.js";
import { TYPE_NAMES } from "../json-error.js";

/** Where the published schema of pattern files is (the package ships `schemas/`). */
export function schemaPath(): string {
  return packageFile("schemas/pattern.schema.json");
}

/** Which shape to check: a JSON file, or the default export of a module file (`pattern` in place of `stages`). */
export type SchemaVariant = "json" | "module";

const validators = new Map<SchemaVariant, ValidateFunction>();

/** The compiled validator of the pattern-file schema (or its module variant), made once per process. */
function getValidator(variant: SchemaVariant): ValidateFunction {
  let validator = validators.get(variant);
  if (validator === undefined) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
    // Message annotations that editors (VS Code) understand too; ajv only has to accept them.
    ajv.addKeyword("patternErrorMessage");
    ajv.addKeyword("errorMessage");
    const schema = JSON.parse(readFileSync(schemaPath(), "utf8")) as JsonSchema;
    validator = ajv.compile(variant === "json" ? schema : moduleSchema(schema));
    validators.set(variant, validator);
  }
  return validator;
}

type JsonSchema = { required: string[]; properties: Record<string, unknown> } & Record<string, unknown>;

/**
 * The published schema with `pattern` (a fluent `Pattern`, checked by the module loader, not
 * here) in place of `stages`, so every other key follows exactly the rules of a JSON file.
 */
function moduleSchema(schema: JsonSchema): JsonSchema {
  const { stages: _stages, $schema: _hint, ...others } = schema.properties;
  return {
    ...schema,
    required: schema.required.map((key) => (key === "stages" ? "pattern" : key)),
    properties: { ...others, pattern: { description: "The fluent Pattern: Pattern.begin(...)..." } },
  };
}

/**
 * Validates a parsed pattern file (or, with `variant` "module", a module file's default export)
 * against schemas/pattern.schema.json. Returns one issue per problem (all of them, not just the
 * first), each naming the JSON pointer of the offending value.
 */
export function validateSchema(file: string, doc: unknown, variant: SchemaVariant = "json"): RuleIssue[] {
  const validate = getValidator(variant);
  if (validate(doc)) return [];
  const issues: RuleIssue[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const issue = translate(file, error);
    if (issue === undefined) continue;
    const id = `${issue.pointer}\u0000${issue.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    issues.push(issue);
  }
  return issues;
}

function typeList(types: unknown): string {
  const list = (Array.isArray(types) ? types : [types]).map((t) => TYPE_NAMES[String(t)] ?? String(t));
  return list.length <= 1 ? list.join("") : `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
}

/** One ajv error as one readable issue; `undefined` for errors that only repeat others. */
function translate(file: string, e: ErrorObject): RuleIssue | undefined {
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const custom = typeof parent.errorMessage === "string" ? parent.errorMessage : undefined;
  const params = e.params as Record<string, unknown>;
  // errors about a property's name (propertyNames) point at that property
  const named = (e as { propertyName?: string }).propertyName;
  const at = (message: string, pointer = e.instancePath): RuleIssue =>
    named === undefined ? { file, pointer, message } : { file, pointer: childPointer(pointer, named), message: `property name ${message}` };
  switch (e.keyword) {
    case "if":
      return undefined; // the failing then/else branch reports its own errors
    case "required":
      return at("is required", childPointer(e.instancePath, String(params.missingProperty)));
    case "additionalProperties": {
      const allowed = Object.keys((parent.properties ?? {}) as object);
      return at(`is not a known property (expected: ${allowed.join(", ")})`, childPointer(e.instancePath, String(params.additionalProperty)));
    }
    case "type":
      return at(`must be ${typeList(params.type)}`);
    case "enum":
      return at(`must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`);
    case "pattern":
      return at(typeof parent.patternErrorMessage === "string" ? parent.patternErrorMessage : `must match ${String(params.pattern)}`);
    case "minProperties":
    case "maxProperties":
      return at(custom ?? `must have ${e.keyword === "minProperties" ? "at least" : "at most"} ${String(params.limit)} properties`);
    case "minItems":
      return at(custom ?? `must have at least ${String(params.limit)} item${params.limit === 1 ? "" : "s"}`);
    case "maxItems":
      return at(custom ?? `must have at most ${String(params.limit)} item${params.limit === 1 ? "" : "s"}`);
    case "minLength":
      return at(params.limit === 1 ? "must not be empty" : `must be at least ${String(params.limit)} characters long`);
    case "maxLength":
      return at(`must be at most ${String(params.limit)} characters long`);
    case "minimum":
      return at(`must be at least ${String(params.limit)}`);
    case "maximum":
      return at(`must be at most ${String(params.limit)}`);
    case "uniqueItems":
      return at(`must not repeat items (items ${String(params.j)} and ${String(params.i)} are equal)`);
    case "propertyNames":
      return undefined; // reported by the inner error, at the property
    default:
      return at(custom ?? e.message ?? `fails ${e.keyword}`);
  }
}
