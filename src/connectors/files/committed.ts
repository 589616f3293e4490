import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { VigilError } from "../../errors.js";
import { decodeCsvBuffer } from "./csv-codec.js";
import { csvFormat, type CsvFormat } from "./csv-format.js";

/** A committed part: `part-<subtask>-<checkpoint or seq>-<attempt>-<seq>[-<rolled part>].<ext>`. */
const PART = /^part-(\d+)-(\d+)-([A-Za-z0-9_]+)-(\d+)(?:-(\d+))?(\.[^.]+)$/;

/**
 * The committed part files of a {@link FileSink} directory, in a deterministic order: by subtask,
 * then checkpoint (or, without checkpoints, transaction number), then attempt, transaction and
 * rolled part. Within a subtask this is the order the records were written in.
 */
export async function committedParts(directory: string, extension?: string): Promise<string[]> {
  const parts: Array<{ name: string; key: [number, number, string, number, number] }> = [];
  for (const name of await readdir(directory)) {
    const m = PART.exec(name);
    if (m === null || (extension !== undefined && m[6] !== extension)) continue;
    parts.push({ name, key: [Number(m[1]), Number(m[2]), m[3], Number(m[4]), m[5] === undefined ? 0 : Number(m[5])] });
  }
  parts.sort(
    (a, b) =>
      a.key[0] - b.key[0] || a.key[1] - b.key[1] || (a.key[2] < b.key[2] ? -1 : a.key[2] > b.key[2] ? 1 : 0) || a.key[3] - b.key[3] || a.key[4] - b.key[4],
  );
  return parts.map((p) => join(directory, p.name));
}

/** Every record of the committed `.jsonl` part files, in {@link committedParts} order, decoded (default `JSON.parse`). */
export async function readCommitted<T = unknown>(directory: string, decode: (line: string) => T = JSON.parse): Promise<T[]> {
  const out: T[] = [];
  for (const file of await committedParts(directory, ".jsonl")) {
    const text = await readFile(file, "utf8");
    for (const line of text.split("\n")) if (line !== "") out.push(decode(line));
  }
  return out;
}

/**
 * Every record of the committed CSV part files (the format's extension), in {@link committedParts}
 * order, read with `format` (default `csvFormat()`: a header row per part, text cells). A record
 * that does not parse fails with `SINK_OUTPUT_INVALID`.
 */
export async function readCommittedCsv<T = Record<string, unknown>>(directory: string, format: CsvFormat<T> = csvFormat<T>()): Promise<T[]> {
  const out: T[] = [];
  const codec = format.codec();
  for (const file of await committedParts(directory, format.extension)) {
    decodeCsvBuffer(codec, await readFile(file), {}, {
      emit: (v) => void out.push(v),
      reject: (raw, reason) => {
        throw new VigilError(`${file} line ${raw.line}: ${reason}`, { code: "SINK_OUTPUT_INVALID" });
      },
    });
  }
  return out;
}
