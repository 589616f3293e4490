import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

// Run from tools/kafka-mock (tests, via tsx) or from dist/tools/kafka-mock (benchmarks): the C file stays in tools/.
const here = dirname(fileURLToPath(import.meta.url));
const root = /[\\/]dist[\\/]tools[\\/]/.test(here) ? join(here, "..", "..", "..") : join(here, "..", "..");
const source = join(root, "tools", "kafka-mock", "kafka-mock.c");
const binary = join(root, "tools", "kafka-mock", "kafka-mock");

/** Whether the C compiler and librdkafka's headers are here (CI installs librdkafka-dev). */
export function kafkaMockAvailable(): boolean {
  try {
    buildKafkaMock();
    return true;
  } catch {
    return false;
  }
}

/** Compiles tools/kafka-mock/kafka-mock.c when the binary is missing or older than its source. */
export function buildKafkaMock(): string {
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return binary;
  const r = spawnSync("cc", ["-O2", "-o", binary, source, "-lrdkafka"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`could not build the Kafka mock cluster (apt-get install -y librdkafka-dev): ${r.stderr || r.error?.message}`);
  return binary;
}

/**
 * librdkafka's mock Kafka cluster in a child process: real Kafka-protocol brokers on 127.0.0.1
 * that kafkajs talks to (produce, fetch, consumer groups, offset commits). Its known limit: it
 * reports no controller, so admin calls and idempotent or transactional producers fail against it.
 * Topics must be created with `createTopic` (auto-creation gives one partition).
 */
export class KafkaMockCluster {
  private queue: Array<{ resolve: (line: string) => void }> = [];

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    /** "host:port,host:port,..." of the brokers. */
    readonly bootstrap: string,
    lines: AsyncIterableIterator<string>,
  ) {
    void (async () => {
      for await (const line of lines) this.queue.shift()?.resolve(line);
      for (const w of this.queue.splice(0)) w.resolve("error cluster exited");
    })();
  }

  /** The broker addresses, as kafkajs's `brokers` option. */
  get brokers(): string[] {
    return this.bootstrap.split(",");
  }

  static async start(brokers = 3): Promise<KafkaMockCluster> {
    const child = spawn(buildKafkaMock(), [String(brokers)], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    const m = first.done ? null : /^bootstrap (\S+)$/.exec(first.value);
    if (!m) {
      child.kill("SIGKILL");
      throw new Error(`the Kafka mock cluster did not start: ${stderr || String(first.value)}`);
    }
    return new KafkaMockCluster(child, m[1], lines);
  }

  /** Sends one command (see kafka-mock.c) and resolves on "ok"; rejects with the mock's error. */
  command(cmd: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve: (line) => (line === "ok" ? resolve() : reject(new Error(`kafka-mock "${cmd}": ${line}`))) });
      this.child.stdin.write(cmd + "\n");
    });
  }

  createTopic(name: string, partitions: number, replication = 1): Promise<void> {
    return this.command(`topic ${name} ${partitions} ${replication}`);
  }

  /** Takes broker `id` (1-based) down: its connections close and it refuses new ones. */
  brokerDown(id: number): Promise<void> {
    return this.command(`down ${id}`);
  }

  brokerUp(id: number): Promise<void> {
    return this.command(`up ${id}`);
  }

  /** The next `count` requests of Kafka API `apiKey` (0 Produce, 1 Fetch, 8 OffsetCommit, ...) fail with `errorCode`. */
  injectErrors(apiKey: number, errorCode: number, count = 1): Promise<void> {
    return this.command(`errors ${apiKey} ${errorCode} ${count}`);
  }

  setLatency(brokerId: number, ms: number): Promise<void> {
    return this.command(`rtt ${brokerId} ${ms}`);
  }

  setLeader(topic: string, partition: number, brokerId: number): Promise<void> {
    return this.command(`leader ${topic} ${partition} ${brokerId}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin.end("quit\n");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}
