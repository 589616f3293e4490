/** Vigil's connectors: sources and sinks for external systems, built on the runtime's public face. */
export * from "./files/index.js";
