/** The body of every error response: a stable `error` code for programs, a `message` for people. */
export interface ApiErrorBody {
  readonly error: string;
  readonly message: string;
  /** One problem per line (a rule document's schema or expression errors, a request's validation errors). */
  readonly details?: readonly string[];
}

/** An error a route answers with: its status, code, message and details become the response. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: readonly string[],
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): ApiErrorBody {
    return { error: this.code, message: this.message, ...(this.details !== undefined && { details: this.details }) };
  }
}

/** The JSON Schema of {@link ApiErrorBody}, for the OpenAPI document. */
export const ERROR_SCHEMA = {
  $id: "Error",
  type: "object",
  required: ["error", "message"],
  properties: {
    error: { type: "string", description: "A stable code: invalid_request, invalid_json, invalid_rule, id_mismatch, unauthorized, not_found, job_not_running, unsupported_media_type, payload_too_large, internal, ..." },
    message: { type: "string" },
    details: { type: "array", items: { type: "string" }, description: "Every problem, one per line." },
  },
} as const;
