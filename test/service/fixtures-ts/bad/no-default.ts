// A named export only: the rule must be the default export.
import { Pattern } from "../../../../src/cep/index.js";

export const rule = { id: "no-default", pattern: Pattern.begin("a") };
