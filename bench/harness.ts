/**
 * A side-by-side micro-benchmark harness. Cases run in interleaved rounds (each round runs every
 * case once, in rotating order), so drift on a shared, noisy machine hits all cases alike; the
 * median of the rounds is reported, and each case as a ratio to a baseline case.
 */

/** One thing to time. */
export interface BenchCase {
  readonly name: string;
  /** Runs the operation once; its return value is kept alive so it is not optimised away. */
  readonly run: () => unknown;
}

/** How long to measure. */
export interface BenchOptions {
  readonly rounds?: number;
  readonly iterationsPerRound?: number;
  readonly warmupRounds?: number;
  /** Called between rounds, e.g. to drop collected spans so memory stays flat. */
  readonly betweenRounds?: () => void | Promise<void>;
}

/** Median nanoseconds per operation of each case. */
export interface BenchResult {
  readonly name: string;
  readonly nsPerOp: number;
}

let sink: unknown;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function timeRound(benchCase: BenchCase, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink = benchCase.run();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** Measures the cases side by side and returns their medians in the order given. */
export async function compare(cases: readonly BenchCase[], options: BenchOptions = {}): Promise<BenchResult[]> {
  const { rounds = 31, iterationsPerRound = 10_000, warmupRounds = 5, betweenRounds } = options;
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < warmupRounds + rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const index = (round + k) % cases.length;
      const nsPerOp = timeRound(cases[index] as BenchCase, iterationsPerRound);
      if (round >= warmupRounds) samples[index]?.push(nsPerOp);
      await betweenRounds?.();
    }
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return cases.map((c, i) => ({ name: c.name, nsPerOp: median(samples[i] ?? []) }));
}

/** Prints results as a table with each case's ratio to the baseline (by name). */
export function report(title: string, results: readonly BenchResult[], baseline: string): void {
  const base = results.find((r) => r.name === baseline)?.nsPerOp ?? Number.NaN;
  console.log(`\n${title}`);
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(width)}  ${r.nsPerOp.toFixed(0).padStart(8)} ns/op   ${(r.nsPerOp / base).toFixed(2)}× ${baseline}`,
    );
  }
}

/** Like {@link compare}, for operations that return a promise: each call is awaited before the next. */
export async function compareAsync(
  cases: readonly { readonly name: string; readonly run: () => Promise<unknown> }[],
  options: BenchOptions = {},
): Promise<BenchResult[]> {
  const { rounds = 31, iterationsPerRound = 5_000, warmupRounds = 5 } = options;
  const samples = cases.map(() => [] as number[]);
  for (let round = 0; round < warmupRounds + rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const index = (round + k) % cases.length;
      const benchCase = cases[index] as (typeof cases)[number];
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterationsPerRound; i++) sink = await benchCase.run();
      if (round >= warmupRounds) samples[index]?.push(Number(process.hrtime.bigint() - start) / iterationsPerRound);
    }
  }
  return cases.map((c, i) => ({ name: c.name, nsPerOp: median(samples[i] ?? []) }));
}
