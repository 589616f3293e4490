/** A file-system error as a short reason for an issue: "no such file or folder", "permission denied", ... */
export function describeFsError(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  if (code === "ENOENT") return "no such file or folder";
  if (code === "EACCES") return "permission denied";
  if (code === "EISDIR") return "is a folder";
  return err instanceof Error ? err.message : String(err);
}
