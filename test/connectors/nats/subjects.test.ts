import fc from "fast-check";
import type { Msg } from "nats";
import { describe, expect, it } from "vitest";
import { checkSubject, redactUrl, resolveServers, subjectsOverlap } from "../../../src/connectors/nats/connection.js";
import { parseReply } from "../../../src/connectors/nats/jetstream-reply.js";

/** NATS matching, the slow obvious way. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length || (p[i] !== "*" && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** Every subject of 1 to 4 tokens over a, b, c. */
const concrete: string[] = [];
for (let n = 1; n <= 4; n++) {
  const build = (prefix: string[]): void => {
    if (prefix.length === n) concrete.push(prefix.join("."));
    else for (const t of ["a", "b", "c"]) build([...prefix, t]);
  };
  build([]);
}

const pattern = fc
  .array(fc.constantFrom("a", "b", "*"), { minLength: 0, maxLength: 3 })
  .chain((tokens) => fc.boolean().map((full) => [...tokens, full || tokens.length === 0 ? ">" : "a"].join(".")))
  .filter((s) => s.split(".").length <= 4);

describe("subjects", () => {
  it("two filter subjects overlap exactly when some subject matches both", () => {
    fc.assert(
      fc.property(pattern, pattern, (x, y) => {
        const reference = concrete.some((s) => matches(x, s) && matches(y, s));
        expect(subjectsOverlap(x, y)).toBe(reference);
      }),
      { numRuns: 500 },
    );
    expect(subjectsOverlap("a.*", "a.b.c")).toBe(false);
    expect(subjectsOverlap("a.>", "a")).toBe(false);
  });

  it("checks subjects and redacts credentials in server URLs", () => {
    expect(checkSubject("orders.*.eu", "here", true)).toBe("orders.*.eu");
    expect(() => checkSubject("orders.e*", "here", true)).toThrow(/wildcard inside the token "e\*"/);
    expect(redactUrl("nats://user:secret@host:4222")).toBe("nats://***@host:4222");
    expect(resolveServers({ servers: "nats://a:1, b:2" }, "here")).toEqual(["nats://a:1", "b:2"]);
    expect(() => resolveServers({ servers: ["nats://u:pw@h:1/x"] }, "here")).toThrow(/server "nats:\/\/\*\*\*@h:1\/x" is not/);
  });

  it("reads stream sequence, delivery sequence and time from both ack subject layouts", () => {
    const msg = (reply: string) => ({ reply }) as unknown as Msg;
    expect(parseReply(msg("$JS.ACK.S.C.1.42.7.1700000000123456789.0"))).toEqual({ sseq: 42, dseq: 7, ts: 1700000000123 });
    expect(parseReply(msg("$JS.ACK.hub.ACCHASH.S.C.2.43.8.1700000000123456789.5.tok"))).toEqual({ sseq: 43, dseq: 8, ts: 1700000000123 });
    expect(parseReply(msg("_INBOX.x"))).toBeUndefined();
  });
});
