/**
 * Runs the example of docs/kafka.md marked `<!-- runnable -->`, as written (only the "vigil"
 * import is pointed at the sources), against the mock cluster with KAFKA_BROKERS set.
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { KafkaMockCluster } from "../../../tools/kafka-mock/index.js";
import { tempDirs } from "../../runtime/checkpoint/helpers.js";
import { TestProducer } from "./source-helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const dirs = tempDirs("vigil-kafka-docs-");
let mock: KafkaMockCluster;
const brokersBefore = process.env.KAFKA_BROKERS;

beforeAll(async () => {
  mock = await KafkaMockCluster.start(3);
});
afterAll(async () => {
  if (brokersBefore === undefined) delete process.env.KAFKA_BROKERS;
  else process.env.KAFKA_BROKERS = brokersBefore;
  vi.restoreAllMocks();
  await mock?.stop();
  dirs.cleanup();
});

describe("docs/kafka.md", () => {
  it(
    "the runnable example replays a topic into per-card totals and reports the malformed payment",
    async () => {
      const doc = await readFile(join(repo, "docs/kafka.md"), "utf8");
      const examples = [...doc.matchAll(/<!-- runnable -->\n```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
      expect(examples).toHaveLength(1);
      await mock.createTopic("payments", 2);
      const producer = await TestProducer.connect(mock);
      await producer.sendRaw("payments", 0, ['{"id":"p1","card":"c1","amount":20}', '{"id":"p2","card":"c2","amount":5}', '{"id":"p3","card":"c1","amount":"lots"}']);
      await producer.sendRaw("payments", 1, ['{"id":"p4","card":"c1","amount":22}', '{"id":"p5","card":"c2","amount":1.5}']);
      await producer.close();
      process.env.KAFKA_BROKERS = mock.bootstrap;

      const file = join(dirs.tmp(), "example.ts");
      const vigil = pathToFileURL(join(here, "source-docs-vigil.ts")).href;
      await writeFile(file, examples[0].replaceAll('from "vigil"', `from ${JSON.stringify(vigil)}`));
      const logged: unknown[][] = [];
      vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void logged.push(args));
      await import(pathToFileURL(file).href);
      vi.mocked(console.log).mockRestore();
      expect(logged).toEqual([["c1 42, c2 6.5"], ['payments/0@2: json+schema: schema: /amount must be number']]);
    },
    30_000,
  );
});
