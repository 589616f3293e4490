/**
 * Names a side output, as Flink's `OutputTag`: operators emit to it with `ctx.output(tag, value)`
 * and `stream.getSideOutput(tag)` reads it. Two tags are the same output when their ids are equal.
 */
export class OutputTag<T> {
  /** Phantom field that carries the element type. */
  declare readonly __type?: T;

  constructor(readonly id: string) {
    if (id.length === 0) throw new TypeError("OutputTag: the id must not be empty");
  }

  toString(): string {
    return `OutputTag(${this.id})`;
  }
}
