/** The REST API of a running service (`vigil run`): a fastify server over `ServiceControl`, and the state file the CLI finds it by. */
export { buildApiServer, type ApiServerOptions, type ApiMetrics } from "./server.js";
export { startApiServer, type StartApiOptions, type ApiServer } from "./start.js";
export { apiStateFile, readApiState, writeApiState, removeApiState, type ApiState } from "./state-file.js";
export { ApiError, type ApiErrorBody } from "./errors.js";
export { bearerMatches } from "./auth.js";
