// The vigil CLI from source, in a process of its own: `node --import tsx test/service/fraud-cli.ts replay ...`.
// The fraud deployment test runs it this way so that it needs no build and tests the current source.
import { main } from "../../src/service/cli.js";

process.exitCode = await main(process.argv);
