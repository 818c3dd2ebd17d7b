/**
 * `npm run bench -- turn-cpu`: what AgentSight costs an app per chat turn, in CPU of the whole
 * process (all threads: the delivery thread included), beside OpenTelemetry alone and beside a
 * bare keep-alive client making the same requests from the same process. Each configuration
 * runs in a process of its own (`turn-cpu-app.ts`), 3,000 turns paced 2 ms apart, against the
 * local receiver in another process; rounds interleave the configurations; medians are shown.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { API_KEY, median, startReceiverProcess } from './exporter.bench';

const ROUNDS = 4;
const TURNS = 3_000;

function runApp(mode: string, endpoint: string): Promise<number> {
  const child = spawn(process.execPath, [resolve(__dirname, 'turn-cpu-app.js'), mode, String(TURNS), '2'], {
    env: {
      ...process.env,
      AGENTSIGHT_API_KEY: API_KEY,
      AGENTSIGHT_API_ENDPOINT: endpoint,
      OTEL_SDK_DISABLED: 'false',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((done, fail) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      const line = /^result (.*)$/m.exec(output);
      if (code !== 0 || !line) return fail(new Error(`turn-cpu-app ${mode} exited ${code}: ${output}`));
      const { cpuMicros, turns } = JSON.parse(line[1] as string) as { cpuMicros: number; turns: number };
      done(cpuMicros / turns);
    });
  });
}

export async function benchTurnCpu(): Promise<void> {
  const receiver = await startReceiverProcess();
  const runs: Record<string, number[]> = { otel: [], agentsight: [], bare: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of Object.keys(runs)) (runs[mode] as number[]).push(await runApp(mode, receiver.url));
    }
  } finally {
    receiver.child.kill();
  }
  const otel = median(runs.otel as number[]);
  const ours = median(runs.agentsight as number[]);
  const bare = median(runs.bare as number[]);
  const fmt = (n: number) => `${Math.round(n).toLocaleString('en')} µs`;
  console.log('\nCPU per chat turn, whole process (all threads), median of 4 interleaved runs of 3,000 paced turns');
  console.log(
    '  turn: conversation, user and agent messages, 2 LLM spans with token usage, 1 tool call (4 items + 0.1 record)',
  );
  console.log(`  OpenTelemetry alone                    ${fmt(otel)}`);
  console.log(`  + AgentSightSpanProcessor             ${fmt(ours)}  (adds ${fmt(ours - otel)})`);
  console.log(`  + a bare keep-alive client, same requests ${fmt(bare)}  (adds ${fmt(bare - otel)})`);
  console.log(
    `  AgentSight's addition / the bare client's: ${((ours - otel) / (bare - otel)).toFixed(2)}×  (issue 22's goal: ≤ 250 µs and ≤ 1.3×)`,
  );
  console.log(
    `  runs (µs/turn): otel ${(runs.otel as number[]).map(Math.round).join(', ')}; agentsight ${(runs.agentsight as number[]).map(Math.round).join(', ')}; bare ${(runs.bare as number[]).map(Math.round).join(', ')}`,
  );
}
