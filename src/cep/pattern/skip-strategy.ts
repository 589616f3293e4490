/** The five after-match skip strategies of FlinkCEP. */
export type SkipKind = "noSkip" | "skipToNext" | "skipPastLastEvent" | "skipToFirst" | "skipToLast";

/**
 * What happens to other partial matches once a match is emitted (FlinkCEP's
 * `AfterMatchSkipStrategy`). Every strategy other than `noSkip` emits matches in the order of
 * their first event and prunes partial and completed matches by the event they started with.
 */
export class AfterMatchSkipStrategy {
  private constructor(
    /** Which strategy. */
    readonly kind: SkipKind,
    /** The stage named by `skipToFirst` / `skipToLast`. */
    readonly patternName: string | undefined,
    /** Whether a match lacking `patternName` is an error (else: no skip for that match). */
    readonly throwOnMiss: boolean,
  ) {}

  /** Every match is emitted; nothing is pruned. The default. */
  static noSkip(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy("noSkip", undefined, false);
  }
  /** Discards every partial match that started with the same event as the emitted match. */
  static skipToNext(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy("skipToNext", undefined, false);
  }
  /** Discards every partial match that started before the emitted match's last event (inclusive). */
  static skipPastLastEvent(): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy("skipPastLastEvent", undefined, false);
  }
  /** Discards partial matches that started before the first event taken by stage `name`. */
  static skipToFirst(name: string): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy("skipToFirst", requireName(name), false);
  }
  /** Discards partial matches that started before the last event taken by stage `name`. */
  static skipToLast(name: string): AfterMatchSkipStrategy {
    return new AfterMatchSkipStrategy("skipToLast", requireName(name), false);
  }

  /** For `skipToFirst`/`skipToLast`: a match without the named stage is an error instead of no skip. */
  throwExceptionOnMiss(): AfterMatchSkipStrategy {
    if (this.patternName === undefined) return this;
    return new AfterMatchSkipStrategy(this.kind, this.patternName, true);
  }

  /** Whether matches are held back and pruned (everything but `noSkip`). */
  isSkipStrategy(): boolean {
    return this.kind !== "noSkip";
  }

  toString(): string {
    return this.patternName === undefined ? `${this.kind}()` : `${this.kind}(${this.patternName})`;
  }
}

function requireName(name: string): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError("a skip strategy needs the name of a stage");
  }
  return name;
}
