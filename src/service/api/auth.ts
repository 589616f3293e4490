import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Checks an `Authorization` header against the bearer token. Both sides are hashed first so the
 * comparison takes the same time whatever the header's length and content (timingSafeEqual needs
 * equal lengths, and comparing lengths would leak the token's).
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const given = m === null ? "" : m[1];
  const ok = timingSafeEqual(digest(given), digest(token));
  return ok && m !== null;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
