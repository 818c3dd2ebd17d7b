/**
 * A function's flush at the end of an invocation (issue 27): a fresh process per round (a cold
 * start), a new conversation's turn (its record + 3 items) flushed, then a later turn of it
 * (3 items) flushed warm. The API double answers in 100 ms, so the time divided by 100 ms is the
 * round trips a flush costs; the cold flush minus the warm one, less its one extra request (the
 * conversation record), is what a cold start adds. Side by side: the defaults on Lambda (delivery
 * on the main thread) and the delivery thread forced on.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startDevServer } from 'agentsight-otel/dev-server';

const LATENCY_MILLIS = 100;
const ROUNDS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function benchServerlessFlush(): Promise<void> {
  const receiver = await startDevServer({ apiKey: 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3' });
  receiver.setLatency(LATENCY_MILLIS);
  const modes = { 'Lambda defaults (main thread)': 'default', 'delivery thread forced on': 'thread' } as const;
  const results = new Map<string, { cold: number[]; warm: number[] }>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, mode] of Object.entries(modes)) {
        // Asynchronously: the API double answers from this process.
        const { stdout: line } = await promisify(execFile)(
          process.execPath,
          [resolve(__dirname, 'serverless-flush-app.js'), mode],
          {
            env: {
              ...process.env,
              AGENTSIGHT_API_ENDPOINT: receiver.url,
              AWS_LAMBDA_FUNCTION_NAME: 'bench',
              LAMBDA_TASK_ROOT: __dirname,
            },
            encoding: 'utf8',
          },
        );
        const { cold, warm } = JSON.parse(line.trim().split('\n').at(-1) as string) as { cold: number; warm: number };
        const entry = results.get(label) ?? { cold: [], warm: [] };
        entry.cold.push(cold);
        entry.warm.push(warm);
        results.set(label, entry);
      }
    }
  } finally {
    await receiver.close();
  }
  console.log(
    `\nServerless: the flush at the end of an invocation (API answers in ${LATENCY_MILLIS} ms, medians of ${ROUNDS} cold starts)`,
  );
  console.log('  mode                            new conversation (record + 3)   later turn (3)   cold-start cost');
  for (const [label, { cold, warm }] of results) {
    const c = median(cold);
    const w = median(warm);
    // The cold flush has one request more (the record): a cold start's own cost is what is left.
    const coldCost = c - w - w / 3;
    console.log(
      `  ${label.padEnd(32)}${`${c.toFixed(0)} ms (${(c / LATENCY_MILLIS).toFixed(1)} round trips)`.padEnd(32)}${`${w.toFixed(0)} ms (${(w / LATENCY_MILLIS).toFixed(1)})`.padEnd(17)}${coldCost.toFixed(0)} ms`,
    );
  }
  console.log('  (one request at a time per conversation, in order: agentsight-api.md §4.2 — no fewer round trips)');
}
