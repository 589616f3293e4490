import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The path of a file shipped with this package (e.g. `schemas/pattern.schema.json`,
 * `package.json`): looked up in the nearest ancestor folder of this module that has it, which
 * works both from the sources (tests) and from `dist/` (the built CLI).
 */
export function packageFile(relative: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find ${relative} in the folders above ${here}`);
}
