import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { main } from "../../src/service/cli.js";
import { formatBytes, formatSeconds } from "../../src/service/commands/progress.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RULES = join(ROOT, "test/service/fixtures-ts/json");
const SAMPLE = join(ROOT, "examples/transactions.jsonl");
/** Every escape sequence a progress bar may write on a terminal. */
const ANSI = /\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g;

/** Runs the CLI; `tty` makes stderr look like a terminal 100 columns wide. */
async function run(args: string[], options: { tty?: boolean; stdin?: string } = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(["node", "vigil", ...args], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), ...(options.tty === true && { isTTY: true, columns: 100 }) },
    now: () => 1_800_000_000_000,
    ...(options.stdin !== undefined && { stdin: Readable.from([options.stdin]) }),
  });
  return { code, stdout, stderr };
}

/** What is left on screen of each line the bar drew: the last redraw before each line break. */
function screenLines(stderr: string): string[] {
  return stderr.split("\n").map((line) => (line.split("\x1b[1G").pop() ?? "").replace(ANSI, ""));
}

const barLines = (stderr: string, phase: "reading" | "matching") => screenLines(stderr).filter((l) => l.startsWith(phase));

describe("vigil replay: the progress bar", () => {
  let dir: string;
  let events: string;
  let summary: string;
  let alerts: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "vigil-progress-"));
    // the sample without its four bad lines: stderr is then the summary and nothing else
    const lines = (await readFile(SAMPLE, "utf8")).split("\n").filter((l) => l.trim() !== "");
    const clean = lines.filter((l) => {
      try {
        const e = JSON.parse(l) as { ts?: unknown } | null;
        const ts = typeof e === "object" && e !== null && !Array.isArray(e) ? e.ts : undefined;
        return typeof ts === "number" || (typeof ts === "string" && !Number.isNaN(Date.parse(ts)));
      } catch {
        return false;
      }
    });
    expect(clean.length).toBeGreaterThan(250);
    events = join(dir, "clean.jsonl");
    await writeFile(events, `${clean.join("\n")}\n`);
    const plain = await run(["replay", RULES, events, "--no-progress"]);
    expect(plain.code).toBe(0);
    summary = plain.stderr;
    alerts = plain.stdout;
    expect(summary).toMatch(new RegExp(`^summary: ${clean.length} events read, 0 invalid, 8 alerts\n`));
    expect(alerts.trim().split("\n")).toHaveLength(8);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("stderr not a terminal: no bar, stderr holds only the summary", async () => {
    const { code, stdout, stderr } = await run(["replay", RULES, events]);
    expect(code).toBe(0);
    expect(stderr).toBe(summary);
    expect(stdout).toBe(alerts);
  });

  test("--progress draws it anyway, on stderr only; the last lines show 100% and the event count", async () => {
    const { code, stdout, stderr } = await run(["replay", RULES, SAMPLE, "--progress"]);
    expect(code).toBe(0);
    expect(stdout.trim().split("\n").every((l) => l.startsWith('{"id":'))).toBe(true);
    const reading = barLines(stderr, "reading");
    const matching = barLines(stderr, "matching");
    expect(reading.length).toBeGreaterThanOrEqual(1);
    expect(reading.at(-1)).toMatch(/^reading +[█]+ 100% \| 66\.4\/66\.4 KiB \| 291 events \| [\d.]+ (B|KiB|MiB)\/s \| took [\d.]+s$/);
    expect(matching.at(-1)).toMatch(/^matching +[█]+ 100% \| 291 events × 3 rules \| took [\d.]+s$/);
    // the bar ends before the dead letters and the summary, which follow as usual
    const lines = stderr.split("\n");
    const firstAfterBar = lines.findIndex((l) => !/^(reading|matching)/.test(l));
    expect(lines.slice(0, firstAfterBar).every((l) => /^(reading|matching) /.test(l))).toBe(true);
    expect(lines[firstAfterBar]).toMatch(/^dead letter /);
    expect(stderr).toContain("summary: 291 events read, 4 invalid, 8 alerts\n");
    expect(stderr).not.toMatch(ANSI);
  });

  test("the same alerts with and without the bar", async () => {
    const withBar = await run(["replay", RULES, events, "--progress"]);
    expect(withBar.stdout).toBe(alerts);
    expect(withBar.stderr.endsWith(summary)).toBe(true);
  });

  test("on a terminal it is drawn by default, in place, and stays as the last state", async () => {
    const { code, stdout, stderr } = await run(["replay", RULES, events], { tty: true });
    expect(code).toBe(0);
    expect(stdout).toBe(alerts);
    expect(stderr).toContain("\x1b[1G"); // redrawn at the start of its line
    const shown = screenLines(stderr);
    expect(shown.filter((l) => l.startsWith("reading"))).toEqual([expect.stringMatching(/ 100% \| .* KiB \| \d+ events \| .* \| took /)]);
    expect(shown.filter((l) => l.startsWith("matching"))).toEqual([expect.stringMatching(/ 100% \| \d+ events × 3 rules \| took /)]);
    expect(shown.filter((l) => /^(reading|matching)/.test(l)).every((l) => l.length < 100)).toBe(true);
    expect(stderr.endsWith(summary)).toBe(true);
  });

  test("--no-progress and --quiet turn it off on a terminal; --quiet leaves only the alerts", async () => {
    const off = await run(["replay", RULES, events, "--no-progress"], { tty: true });
    expect(off.stderr).toBe(summary);
    const quiet = await run(["replay", "-q", RULES, SAMPLE], { tty: true });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout.trim().split("\n")).toHaveLength(8);
  });

  test("vigil match draws none, even on a terminal", async () => {
    const { code, stderr } = await run(["match", RULES, events], { tty: true });
    expect(code).toBe(0);
    expect(stderr).toBe(summary);
  });

  test("--quiet and --progress together are a usage error", async () => {
    const { code, stderr } = await run(["replay", RULES, events, "--quiet", "--progress"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot be used with/);
  });

  test("stdin has no size: bytes and events, without a percentage", async () => {
    const text = await readFile(events, "utf8");
    const { code, stdout, stderr } = await run(["replay", RULES, "-", "--progress"], { stdin: text });
    expect(code).toBe(0);
    // the same alerts; their ids differ, as they hash the events' positions (stdin:17, not clean.jsonl:17)
    const withoutIds = (text: string) => text.trim().split("\n").map((l) => ({ ...(JSON.parse(l) as object), id: undefined }));
    expect(withoutIds(stdout)).toEqual(withoutIds(alerts));
    expect(barLines(stderr, "reading").at(-1)).toMatch(/^reading {2}[\d.]+ KiB \| \d+ events \| [\d.]+ (B|KiB|MiB)\/s$/);
    expect(barLines(stderr, "matching").at(-1)).toMatch(/ 100% /);
  });

  test("an unreadable file: the error, and no bar left running", async () => {
    const missing = join(dir, "missing.jsonl");
    const { code, stdout, stderr } = await run(["replay", RULES, missing, "--progress"]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr.split("\n").filter((l) => l !== "" && !l.startsWith("reading"))).toEqual([`vigil replay: cannot read ${missing}: no such file`]);
  });
});

describe("progress figures", () => {
  test("bytes in binary units, as a fraction in the total's unit", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(68_000)).toBe("66.4 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GiB");
    expect(formatBytes(1024 ** 2, 69 * 1024 ** 2)).toBe("1.0/69.0 MiB");
    expect(formatBytes(0, 700)).toBe("0/700 B");
  });

  test("seconds", () => {
    expect([0.04, 4, 9.5, 12.4, 185, 3 * 3600 + 125].map(formatSeconds)).toEqual(["0.0s", "4s", "9.5s", "12s", "3m05s", "3h02m"]);
  });
});
