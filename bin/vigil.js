#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled output so `npm ci` (which runs `prepare`) is enough.
import { main } from "../dist/src/service/cli.js";

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`vigil: ${err?.message ?? err}\n`); process.exitCode = 1; },
);
