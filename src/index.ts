/** Vigil's one public entry point: the CEP pattern API, the DataStream runtime and keyed state. */
export * from "./cep/index.js";
export * from "./runtime/index.js";
export * from "./state/index.js";
export * from "./connectors/index.js";
export { definePatternFile, type PatternFileModule } from "./service/pattern-file/pattern-file-module.js";
