/** How one POST ended. `closed`: the sink was closed while it was under way. */
export type PostOutcome =
  | { readonly kind: "delivered"; readonly status: number }
  | { readonly kind: "failed"; readonly retriable: boolean; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number }
  | { readonly kind: "closed" };

/** Statuses worth another try: the receiver may accept the same request later. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * POSTs `body` once. Never throws: HTTP errors, timeouts and network errors become outcomes.
 * Redirects are not followed (a redirect would carry the signature and credentials elsewhere).
 */
export async function postOnce(url: string, headers: Record<string, string>, body: string, timeoutMs: number, closing: AbortSignal): Promise<PostOutcome> {
  if (closing.aborted) return { kind: "closed" };
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, timeoutMs);
  const onClose = () => ctl.abort();
  closing.addEventListener("abort", onClose, { once: true });
  try {
    const res = await fetch(url, { method: "POST", headers, body, signal: ctl.signal, redirect: "manual" });
    const text = await res.text(); // read to the end, within the timeout, so the connection is reused
    if (res.status >= 200 && res.status <= 299) return { kind: "delivered", status: res.status };
    const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
    const redirect = res.status >= 300 && res.status <= 399 ? " (redirects are not followed)" : "";
    return {
      kind: "failed",
      retriable: isRetriableStatus(res.status),
      status: res.status,
      reason: `HTTP ${res.status}${res.statusText ? " " + res.statusText : ""}${redirect}${snippet ? ": " + snippet : ""}`,
      retryAfterMs: parseRetryAfter(res.headers.get("retry-after"), Date.now()),
    };
  } catch (e) {
    if (closing.aborted) return { kind: "closed" };
    if (timedOut) return { kind: "failed", retriable: true, reason: `no complete response within ${timeoutMs} ms` };
    return { kind: "failed", retriable: true, reason: `network error: ${networkReason(e)}` };
  } finally {
    clearTimeout(timer);
    closing.removeEventListener("abort", onClose);
  }
}

/** undici's "fetch failed" hides the reason in `cause` ("connect ECONNREFUSED 127.0.0.1:8080"). */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.message) return cause.message;
  return e instanceof Error ? e.message : String(e);
}

/** A `Retry-After` value (delay in seconds, or an HTTP date) as ms from `now`; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The wait before try `attempt + 1` (ms): `initialDelayMs * 2^(attempt-1)`, capped at
 * `maxDelayMs`, of which the fraction `jitter` is random.
 */
export function backoffDelay(attempt: number, r: { initialDelayMs: number; maxDelayMs: number; jitter: number }, random: () => number = Math.random): number {
  const base = Math.min(r.maxDelayMs, r.initialDelayMs * 2 ** Math.min(attempt - 1, 52));
  return base * (1 - r.jitter * random());
}
