/**
 * Exactly-once from a file to files: per card running totals, a checkpoint every 200 ms, and a
 * restart from the latest checkpoint when the process starts again (kill it and rerun it: the
 * committed output is the same as an uninterrupted run's).
 * Run: npx tsx examples/checkpoints/exactly-once.ts [input.jsonl] [output dir] [checkpoint dir]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSink, FileSource, RestartStrategies, StreamExecutionEnvironment, WatermarkStrategy, findLatestCheckpoint, readCommitted } from "../../src/index.js";

interface Txn {
  card: string;
  amount: number;
  ts: number;
}

export async function main(args: string[] = process.argv.slice(2)): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), "vigil-example-"));
  const [input = join(work, "txns.jsonl"), output = join(work, "out"), checkpoints = join(work, "checkpoints")] = args;
  if (args.length === 0) {
    const txns: Txn[] = Array.from({ length: 1000 }, (_, i) => ({ card: `c${i % 4}`, amount: 10, ts: i * 1000 }));
    writeFileSync(input, txns.map((t) => JSON.stringify(t)).join("\n") + "\n");
  }

  const env = new StreamExecutionEnvironment()
    .setParallelism(2)
    .enableCheckpointing(200, { directory: checkpoints, retained: 3 })
    .setRestartStrategy(RestartStrategies.fixedDelay(3, 1000));
  const latest = await findLatestCheckpoint(checkpoints);
  if (latest !== undefined) env.restoreFrom(latest); // a rerun after a crash resumes here

  env
    .fromSource(new FileSource<Txn>({ paths: input, timestampField: "ts" }), WatermarkStrategy.forBoundedOutOfOrderness<Txn>(5_000), "transactions")
    .uid("transactions") // uids tie state in checkpoints to operators across versions of the job
    .keyBy((t) => t.card)
    .reduce((a, b) => ({ ...b, amount: a.amount + b.amount }))
    .uid("running-totals")
    .map((t) => `${t.card} ${t.amount}`)
    .sinkTo(new FileSink<string>({ directory: output, encode: (s) => s }))
    .uid("totals-sink");

  await env.execute("exactly-once example");
  const lines = await readCommitted<string>(output, (l) => l);
  return lines.filter((l) => l.endsWith(" 2500")).sort(); // each card's final total
}

if (process.argv[1]?.endsWith("exactly-once.ts")) {
  main().then((finals) => process.stdout.write(`${finals.join("\n")}\n`));
}
