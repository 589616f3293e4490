import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, isRetriableStatus, parseRetryAfter } from "../../../src/connectors/webhook/http-post.js";

describe("webhook retry policy", () => {
  it("backs off exponentially up to maxDelayMs, with the jitter fraction random", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        (attempt, initialDelayMs, extra, jitter, r) => {
          const maxDelayMs = initialDelayMs + extra;
          const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
          const d = backoffDelay(attempt, { initialDelayMs, maxDelayMs, jitter }, () => r);
          expect(d).toBeLessThanOrEqual(base);
          expect(d).toBeGreaterThanOrEqual(base * (1 - jitter) - 1e-9);
          expect(Number.isFinite(d)).toBe(true);
        },
      ),
    );
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 }))).toEqual([100, 200, 400, 800, 1000]);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0); // in the past: at once
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("retries 408, 429 and 5xx only", () => {
    const retried = [200, 301, 400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504, 599].filter(isRetriableStatus);
    expect(retried).toEqual([408, 429, 500, 502, 503, 504, 599]);
  });
});
