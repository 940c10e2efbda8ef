// d2l's Accumulator (§3.6.5): n running sums, added to together. Used for the epoch's
// (loss sum, correct count, example count) in trainEpoch.
export class Accumulator {
  private readonly data: number[];

  constructor(n: number) {
    this.data = new Array<number>(n).fill(0);
  }

  /** Adds values[i] to slot i. */
  add(...values: number[]): void {
    if (values.length !== this.data.length) {
      throw new RangeError(`Accumulator has ${this.data.length} slots, got ${values.length} values`);
    }
    for (let i = 0; i < values.length; i++) this.data[i] = this.data[i]! + values[i]!;
  }

  reset(): void {
    this.data.fill(0);
  }

  get(i: number): number {
    const value = this.data[i];
    if (value === undefined) throw new RangeError(`Accumulator has no slot ${i}`);
    return value;
  }
}
