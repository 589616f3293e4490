/**
 * The dynamic CEP operator (`CEP.dynamicPatterns`): a pattern set that changes while it runs,
 * through a broadcast input of `PatternUpdate`s.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  CEP,
  DynamicCepOperator,
  Pattern,
  type DynamicCepOptions,
  type PatternDefinition,
  type PatternSetChange,
  type PatternUpdate,
} from "../../../src/cep/index.js";
import {
  CollectSink,
  InMemorySource,
  OperatorHarness,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type OperatorSnapshot,
} from "../../../src/runtime/index.js";
import { BACKENDS, cepHarness, cleanupDirs, ev, show, shown, shownTimeouts, type Ev, type Out } from "./helpers.js";

afterAll(cleanupDirs);

/** A test pattern document: stage types in order (`followedBy`), an optional window. */
interface Doc {
  readonly seq: readonly string[];
  readonly within?: number;
}

function patternOf(doc: Doc): Pattern<Ev, Ev> {
  let p = Pattern.begin<Ev>(doc.seq[0].toUpperCase() + "0").where((e) => e.type === doc.seq[0]);
  doc.seq.slice(1).forEach((t, i) => {
    p = p.followedBy(t.toUpperCase() + String(i + 1)).where((e) => e.type === t);
  });
  return doc.within === undefined ? p : p.within(doc.within);
}

const def = (id: string, doc: Doc, name = id.split("@")[0]): PatternDefinition<Doc> => ({ id, name, document: doc });
const put = (id: string, doc: Doc, name = id.split("@")[0]): PatternUpdate<Doc> => ({ op: "put", id, name, document: doc });

interface Run {
  h: OperatorHarness<Ev, Out, PatternUpdate<Doc>>;
  op: () => DynamicCepOperator<Ev, Out, Doc, string>;
  changes: PatternSetChange[];
  outs: () => string[];
  timeouts: () => string[];
}

/** The operator over `initial` in a harness (restored from `restore` if given), its control input at +Infinity. */
async function harness(
  initial: ReadonlyArray<PatternDefinition<Doc>>,
  options: Partial<DynamicCepOptions<Ev, Doc>> = {},
  backend = BACKENDS[0],
  restore?: OperatorSnapshot,
): Promise<Run> {
  const changes: PatternSetChange[] = [];
  let op: DynamicCepOperator<Ev, Out, Doc, string> | undefined;
  const opts: DynamicCepOptions<Ev, Doc> = { initial, factory: (d) => patternOf(d.document), onChange: (c) => changes.push(c), ...options };
  const h = await OperatorHarness.forTwoInputOperator<Ev, PatternUpdate<Doc>, Out>(
    () => (op = new DynamicCepOperator<Ev, Out, Doc, string>((match, ctx) => ctx.output({ patternId: ctx.patternId, key: ctx.getCurrentKey(), match }), opts)),
    (e) => e.key,
    undefined,
    { backend: await backend.make() },
    restore === undefined ? undefined : [restore],
  );
  // the control input never holds event time back
  h.processWatermark2(Number.POSITIVE_INFINITY);
  return {
    h,
    op: () => op!,
    changes,
    outs: () => shown(h.extractOutputValues()),
    timeouts: () => shownTimeouts(h.getSideOutput(CEP.timedOutTag)),
  };
}

const setOf = (r: Run) => r.op().patternSet.map((p) => `${p.id}:${p.state}`);

describe.each(BACKENDS)("dynamic CEP operator ($name)", (backend) => {
  it("runs its initial patterns as CEP.patterns does", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"] }), def("q@1", { seq: ["b", "c"] })], {}, backend);
    r.h.processElement1(ev(1, "k", "a"), 1).processElement1(ev(2, "k", "b"), 2).processElement1(ev(3, "k", "c"), 3).processWatermark1(10);
    expect(r.outs()).toEqual(["k p@1| A0:1 B1:2", "k q@1| B0:2 C1:3"]);
    await r.h.close();
  });

  it("a new version takes new partial matches; the old one finishes its own, then is dropped", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"] })], {}, backend);
    r.h.processElement1(ev(1, "k", "a"), 10).processWatermark1(10);
    // switch at event time 10: p@1 starts on nothing later
    r.h.processElement2(put("p@2", { seq: ["a", "c"] }));
    expect(setOf(r)).toEqual(["p@1:draining", "p@2:active"]);
    r.h.processElement1(ev(2, "k", "a"), 20).processElement1(ev(3, "k", "b"), 30).processElement1(ev(4, "k", "c"), 40).processWatermark1(50);
    expect(r.outs()).toEqual(["k p@1| A0:1 B1:3", "k p@2| A0:2 C1:4"]);
    // p@1's only partial match completed and the watermark passed the switch: gone
    expect(setOf(r)).toEqual(["p@2:active"]);
    expect(r.changes.map((c) => `${c.kind} ${c.id}`)).toEqual(["added p@1", "added p@2", "draining p@1", "retired p@1"]);
    await r.h.close();
  });

  it("in event time the switch is at the newest event time seen: buffered and out-of-order events at or before it stay with the old version", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"] })], {}, backend);
    r.h.processElement1(ev(1, "k", "a"), 10).processElement1(ev(2, "k", "a"), 20);
    r.h.processElement2(put("p@2", { seq: ["a", "b"] })); // switch at 20, nothing released yet
    r.h.processElement1(ev(3, "k", "a"), 15).processElement1(ev(4, "k", "a"), 25).processElement1(ev(5, "k", "b"), 30).processWatermark1(40);
    expect(r.outs()).toEqual(["k p@1| A0:1 B1:5", "k p@1| A0:2 B1:5", "k p@1| A0:3 B1:5", "k p@2| A0:4 B1:5"]);
    await r.h.close();
  });

  it("a draining version keeps its partial matches until they time out", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"], within: 100 })], {}, backend);
    r.h.processElement1(ev(1, "k", "a"), 10).processElement1(ev(2, "j", "a"), 12).processWatermark1(12);
    r.h.processElement2(put("p@2", { seq: ["a", "b"], within: 100 }));
    r.h.processElement1(ev(3, "k", "b"), 50).processWatermark1(60);
    expect(r.outs()).toEqual(["k p@1| A0:1 B1:3"]);
    expect(setOf(r)).toEqual(["p@1:draining", "p@2:active"]); // key j still has one
    r.h.processWatermark1(200);
    expect(r.timeouts()).toEqual(["j p@1| A0:2 @112"]);
    expect(setOf(r)).toEqual(["p@2:active"]);
    expect(r.h.numEventTimeTimers()).toBe(0);
    await r.h.close();
  });

  it("remove drops the pattern and its per-key state at once", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"], within: 100 }), def("q@1", { seq: ["a", "c"] })], {}, backend);
    r.h.processElement1(ev(1, "k", "a"), 10).processElement1(ev(2, "j", "a"), 11).processWatermark1(20);
    r.h.processElement2({ op: "remove", name: "p" });
    expect(setOf(r)).toEqual(["q@1:active"]);
    // the window timers of p are gone with its state; q (no window) holds no timer
    expect(r.h.numEventTimeTimers()).toBe(0);
    const snapshot = await r.h.snapshot();
    const text = JSON.stringify(snapshot, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v));
    expect(text).not.toContain("p@1");
    r.h.processElement1(ev(3, "k", "b"), 30).processElement1(ev(4, "k", "c"), 31).processWatermark1(40);
    expect(r.outs()).toEqual(["k q@1| A0:1 C1:4"]);
    r.h.processElement2({ op: "remove", id: "q@1" });
    expect(r.h.keyedState!.getKeys("cep-nfa")).toEqual([]);
    await r.h.close();
  });

  it("a checkpoint keeps the set, draining versions included; a restore puts the set wanted then", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"] })], {}, backend);
    r.h.processElement1(ev(1, "k", "a"), 10).processWatermark1(10);
    r.h.processElement2(put("p@2", { seq: ["a", "c"] }));
    const snapshot = await r.h.snapshot();
    await r.h.close();

    const r2 = await harness([def("p@2", { seq: ["a", "c"] })], {}, backend, snapshot);
    expect(setOf(r2)).toEqual(["p@1:draining", "p@2:active"]);
    r2.h.processElement1(ev(2, "k", "a"), 20).processElement1(ev(3, "k", "b"), 30).processElement1(ev(4, "k", "c"), 40).processWatermark1(50);
    expect(r2.outs()).toEqual(["k p@1| A0:1 B1:3", "k p@2| A0:2 C1:4"]);
    expect(setOf(r2)).toEqual(["p@2:active"]);
    const again = await r2.h.snapshot();
    await r2.h.close();

    // restored while the rule is gone from the wanted set: removed with its state
    const r3 = await harness([], {}, backend, again);
    expect(r3.h.keyedState!.getKeys("cep-nfa")).toEqual([]);
    await r3.h.close();
  });

  it("restores a checkpoint of the static operator, keeping the partial matches of the patterns it still runs", async () => {
    const stat = await cepHarness([{ id: "p@1", pattern: patternOf({ seq: ["a", "b"] }) }], {}, { backend: await backend.make() });
    stat.processElement(ev(1, "k", "a"), 10).processWatermark(10);
    const snapshot = await stat.snapshot();
    await stat.close();
    const r = await harness([def("p@1", { seq: ["a", "b"] })], {}, backend, snapshot);
    r.h.processElement1(ev(2, "k", "b"), 20).processWatermark1(30);
    expect(r.outs()).toEqual(["k p@1| A0:1 B1:2"]);
    await r.h.close();
  });
});

describe("dynamic CEP operator: details", () => {
  it("in processing time the switch is at the update's arrival", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"] })], { timeMode: "processing" });
    r.h.setProcessingTime(10).processElement1(ev(1, "k", "a"));
    r.h.processElement2(put("p@2", { seq: ["a", "b"] }));
    r.h.setProcessingTime(11).processElement1(ev(2, "k", "a")).processElement1(ev(3, "k", "b"));
    expect(r.outs()).toEqual(["k p@1| A0:1 B1:3", "k p@2| A0:2 B1:3"]);
    expect(setOf(r)).toEqual(["p@2:active"]);
    await r.h.close();
  });

  it("a pattern the factory cannot make is rejected and the set is unchanged; a malformed update is ignored", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"] })], {
      factory: (d) => {
        if (d.document.seq.length === 0) throw new Error("empty pattern");
        return patternOf(d.document);
      },
    });
    r.h.processElement2(put("p@2", { seq: [] }));
    r.h.processElement2({ op: "explode" } as unknown as PatternUpdate<Doc>);
    expect(setOf(r)).toEqual(["p@1:active"]);
    expect(r.changes.at(-1)).toMatchObject({ kind: "rejected", id: "p@2", reason: "empty pattern" });
    await r.h.close();
  });

  it("drain and put again: a draining version can be made active again", async () => {
    const r = await harness([def("p@1", { seq: ["a", "b"] })]);
    r.h.processElement1(ev(1, "k", "a"), 10).processWatermark1(10);
    r.h.processElement2({ op: "drain", id: "p@1" });
    expect(setOf(r)).toEqual(["p@1:draining"]);
    r.h.processElement2(put("p@1", { seq: ["a", "b"] }));
    expect(setOf(r)).toEqual(["p@1:active"]);
    r.h.processElement1(ev(2, "k", "a"), 20).processElement1(ev(3, "k", "b"), 30).processWatermark1(40);
    expect(r.outs()).toEqual(["k p@1| A0:1 B1:3", "k p@1| A0:2 B1:3"]);
    await r.h.close();
  });

  it("runs in a job: updates on an idle broadcast stream", async () => {
    const env = new StreamExecutionEnvironment().setParallelism(2);
    const events = new InMemorySource<Ev>();
    const control = new InMemorySource<PatternUpdate<Doc>>();
    const keyed = env
      .fromSource(events, WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.id * 10), "events")
      .setParallelism(1)
      .keyBy((e) => e.key);
    const updates = env
      .fromSource(control, WatermarkStrategy.noWatermarks<PatternUpdate<Doc>>().withIdleness(1), "control")
      .setParallelism(1);
    const sink = new CollectSink<string>();
    CEP.dynamicPatterns<Ev, Doc, string>(keyed, updates, { initial: [def("p@1", { seq: ["a", "b"] })], factory: (d) => patternOf(d.document) })
      .process<string>((match, ctx) => ctx.output(`${ctx.getCurrentKey()} ${ctx.patternId}| ${show(match)}`))
      .sinkTo(sink);
    const client = await env.executeAsync("dynamic");
    events.push(ev(1, "k", "a"), ev(2, "j", "a"), ev(3, "k", "b"));
    // later events of another key move event time on (the control input turns idle only after
    // a moment, and a watermark that came before stays held until the next one)
    for (let id = 1000; sink.values.length === 0; id++) {
      events.push(ev(id, "x", "z"));
      await new Promise((r) => setTimeout(r, 20));
      if (id > 1500) throw new Error("no match");
    }
    control.push(put("p@2", { seq: ["b", "c"] }));
    // a marker that the update went through: p@2 matches only after it
    for (let id = 2000; !sink.values.some((v) => v.includes("p@2")); id += 2) {
      events.push(ev(id, "k", "b"), ev(id + 1, "k", "c"));
      await new Promise((r) => setTimeout(r, 20));
      if (id > 2800) throw new Error("the update never arrived");
    }
    events.end();
    control.end();
    await client.getJobExecutionResult();
    expect(sink.values).toContain("k p@1| A0:1 B1:3");
    expect(sink.values.filter((v) => v.includes("p@1")).length).toBe(1);
  });
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}
