/** Vigil's one public entry point. */
export * from "./cep/index.js";
