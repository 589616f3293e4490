import { readFileSync } from "node:fs";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { explainCommand } from "./commands/explain.js";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo, type CommandContext } from "./commands/io.js";
import { matchCommand } from "./commands/match.js";
import { EXIT_UNREACHABLE, savepointCommand, statusCommand, stopCommand, type RemoteOptions } from "./commands/remote.js";
import { validateCommand } from "./commands/validate.js";
import { createLogger, LOG_FORMATS, LOG_LEVELS } from "./log.js";
import { packageFile } from "./package-files.js";
import { runCommand } from "./run/run-command.js";

export type { CliIo } from "./commands/io.js";

/**
 * The `vigil` command line. `argv` is in `process.argv` form (`[node, script, ...args]`).
 * Resolves to the exit code: 0 success, 1 failure (invalid pattern files, unreadable input; for
 * `run`, the job failed; for `status|savepoint|stop`, the service refused), 2 bad usage (unknown
 * command or option, missing argument; for `run`, an invalid config or rule), 3 (`status|savepoint|stop`)
 * no service answers. `--help` on any command prints its
 * help and resolves to 0. Never calls `process.exit`.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code = EXIT_OK;
  const context = (cmd: Command): CommandContext => {
    const { logLevel, logFormat } = cmd.optsWithGlobals<{ logLevel?: string; logFormat?: string }>();
    return { io, log: createLogger({ ...(logLevel !== undefined && { level: logLevel }), ...(logFormat !== undefined && { format: logFormat }) }) };
  };
  const program = new Command("vigil")
    .description("Complex-event processing: FlinkCEP's pattern model on an event-time runtime")
    .version(packageVersion(), "-V, --version")
    .addOption(new Option("--log-level <level>", "log level of the diagnostics written to stderr").choices([...LOG_LEVELS, "silent"]).env("VIGIL_LOG_LEVEL"))
    .addOption(new Option("--log-format <format>", "json, or pretty (the default when stderr is a terminal)").choices([...LOG_FORMATS]).env("VIGIL_LOG_FORMAT"))
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError("(run with --help for usage)");

  program
    .command("match")
    .description("run a rule (or every rule of a folder) over a JSON-lines file; alerts go to stdout, sorted by time, rule, id")
    .argument("<pattern-file>", "a pattern file (JSON, or a TS/JS module), or a folder of them")
    .argument("<events.jsonl>", "one JSON event per line ('-' for stdin)")
    .addHelpText("after", "\nDead letters (bad lines, events without event time) and a summary go to stderr.\nExit codes: 0 done, 1 invalid pattern files or unreadable input, 2 bad usage.")
    .action(async (patterns: string, events: string, _opts: unknown, cmd: Command) => {
      code = await matchCommand(patterns, events, context(cmd), { commandName: "match", progress: false });
    });

  program
    .command("replay")
    .description("run every rule of a folder (or one rule file) over a bounded events file in batch mode: the whole input in event-time order, so nothing is late")
    .argument("<patterns>", "a folder of pattern files, or one file")
    .argument("<events>", "the events file, one JSON event per line ('-' for stdin)")
    .addOption(new Option("--format <format>", "format of the events file").choices(["jsonl"]).default("jsonl"))
    .addOption(new Option("--progress", "draw the progress bar on stderr even when it is not a terminal").conflicts("quiet"))
    .addOption(new Option("--no-progress", "never draw the progress bar (by default it is drawn when stderr is a terminal)"))
    .addOption(new Option("-q, --quiet", "write only alerts (stdout) and errors: no progress bar, dead letters or summary"))
    .addHelpText(
      "after",
      "\nAlerts go to stdout, one per line, sorted by time, rule, id; the summary (events read, alerts per rule,\n" +
        "late and invalid events) and dead letters go to stderr, after the progress bar (bytes read of the file's\n" +
        "size, events, rate, ETA; then the matching), which is drawn only when stderr is a terminal.\n" +
        "Exit codes: 0 done, 1 invalid pattern files or unreadable input, 2 bad usage.",
    )
    .action(async (patterns: string, events: string, opts: { progress?: boolean; quiet?: boolean }, cmd: Command) => {
      code = await matchCommand(patterns, events, context(cmd), { commandName: "replay", progress: opts.progress, quiet: opts.quiet });
    });

  program
    .command("validate")
    .description("check pattern files (schema, expressions, stage references, the pattern); all errors, one per line")
    .argument("<path...>", "pattern files or folders of them (*.json, *.ts, *.mts, *.js, *.mjs)")
    .addHelpText("after", "\nExit codes: 0 all valid, 1 any error (printed to stderr), 2 bad usage.")
    .action(async (paths: string[], _opts: unknown, cmd: Command) => {
      code = await validateCommand(paths, context(cmd));
    });

  program
    .command("explain")
    .description("print the automaton a rule compiles to (states and take/ignore/proceed edges)")
    .argument("<pattern-file>", "a pattern file")
    .option("--dot", "print Graphviz DOT instead of text")
    .action(async (file: string, opts: { dot?: boolean }, cmd: Command) => {
      code = await explainCommand(file, opts, context(cmd));
    });

  program
    .command("run")
    .description("start the service: read the configured sources, run every pattern file, send alerts to the configured sinks")
    .addOption(new Option("-c, --config <file>", "the service config (JSON, schemas/vigil.config.schema.json)").default("vigil.config.json"))
    .addHelpText(
      "after",
      "\nEnvironment overrides: VIGIL_PATTERNS, VIGIL_STATE_BACKEND, VIGIL_STATE_DIR, VIGIL_CHECKPOINT_INTERVAL,\n" +
        "VIGIL_CHECKPOINT_DIR, VIGIL_SHUTDOWN, VIGIL_API_PORT; connectors read KAFKA_BROKERS, NATS_URL, DATABASE_URL, ...\n" +
        "The REST API (config `api`; docs/rest-api.md) listens on 127.0.0.1:8717 by default; its bearer token, if any,\n" +
        "comes from VIGIL_API_TOKEN. vigil status | savepoint | stop talk to it.\n" +
        "Console alerts go to stdout, one JSON document per line; logs (JSON, level info unless --log-level) and\n" +
        "the summary go to stderr. SIGTERM or SIGINT stops it with a savepoint or a final checkpoint (config\n" +
        "`shutdown`), as POST /stop and vigil stop do; a restart resumes from the newest one. A bounded source\n" +
        "(file, watch: false) ends the run.\n" +
        "Exit codes: 0 finished or stopped, 1 the job failed (or the API could not listen), 2 bad usage or an invalid config or rule.",
    )
    .action(async (opts: { config: string }, cmd: Command) => {
      const { logLevel, logFormat } = cmd.optsWithGlobals<{ logLevel?: string; logFormat?: string }>();
      // a service reports what it does: info unless told otherwise
      const log = createLogger({ level: logLevel ?? process.env.VIGIL_LOG_LEVEL ?? "info", ...(logFormat !== undefined && { format: logFormat }) });
      code = await runCommand(opts.config, { io, log });
    });

  // vigil status | savepoint | stop: clients of a running service's REST API
  const remote = (name: string, description: string, after: string) =>
    program
      .command(name)
      .description(description)
      .option("--url <url>", "the service's REST API (default: from the state file the service wrote, found through --config; else the config's api.host and api.port; else http://127.0.0.1:8717)")
      .addOption(new Option("-c, --config <file>", "the service's config, to find its state file (api.json next to its checkpoint directory)").default("vigil.config.json"))
      .addOption(new Option("--timeout <ms>", "how long to wait for the service's answer").argParser(positiveInt))
      .addHelpText(
        "after",
        `\n${after}\nThe bearer token, if the service has one, is read from VIGIL_API_TOKEN (or the variable the config's api.tokenEnv names).\n` +
          `Exit codes: 0 done, 1 the service refused or failed, 2 bad usage or an invalid --config, ${EXIT_UNREACHABLE} no service answers at the URL.`,
      );
  const remoteOptions = (opts: { url?: string; config: string; timeout?: number }, cmd: Command): RemoteOptions => ({
    ...(opts.url !== undefined && { url: opts.url }),
    config: opts.config,
    configGiven: cmd.getOptionValueSource("config") !== "default",
    ...(opts.timeout !== undefined && { timeoutMs: opts.timeout }),
  });

  remote("status", "show the running service's job: status, uptime, rules, alerts, last checkpoint", "Prints a summary on stdout (--json: one JSON document).")
    .option("--json", "print one JSON document (url, job, lastCheckpoint) instead of text")
    .action(async (opts: { url?: string; config: string; timeout?: number; json?: boolean }, cmd: Command) => {
      code = await statusCommand({ ...remoteOptions(opts, cmd), json: opts.json === true }, context(cmd));
    });

  remote("savepoint", "take a savepoint of the running service's job (it goes on running)", "Prints the savepoint's path on stdout once it is stored (a relative --directory is resolved here, then sent).")
    .option("--directory <dir>", "where to put it (default: the config's checkpoints.directory/savepoints)")
    .action(async (opts: { url?: string; config: string; timeout?: number; directory?: string }, cmd: Command) => {
      code = await savepointCommand({ ...remoteOptions(opts, cmd), ...(opts.directory !== undefined && { directory: opts.directory }) }, context(cmd));
    });

  remote("stop", "stop the running service gracefully, as SIGTERM does (the configured savepoint or final checkpoint)", "Prints the snapshot's path on stdout, then waits until the service no longer answers (--no-wait: return at once).")
    .option("--no-wait", "return once the snapshot is taken, without waiting for the service to exit")
    .action(async (opts: { url?: string; config: string; timeout?: number; wait: boolean }, cmd: Command) => {
      code = await stopCommand({ ...remoteOptions(opts, cmd), wait: opts.wait }, context(cmd));
    });

  try {
    await program.parseAsync([...argv], { from: "node" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    io.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError("must be a whole number of milliseconds, at least 1");
  return n;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** The process's streams; a closed stdout (`vigil match ... | head`) ends output quietly. */
function processIo(): CliIo {
  let closed = false;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") closed = true;
    else throw err;
  });
  return {
    stdout: { write: (s: string) => (closed ? false : process.stdout.write(s)) },
    stderr: process.stderr,
    stdin: process.stdin,
  };
}
