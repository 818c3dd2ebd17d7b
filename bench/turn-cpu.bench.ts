/**
 * `npm run bench -- turn-cpu`: what AgentSight costs an app per chat turn, in CPU of the whole
 * process (all threads: the delivery thread included), beside OpenTelemetry alone, beside a bare
 * keep-alive undici client making the same requests from the same process, and beside the floor
 * (the same requests written by hand on raw sockets), and beside the Collector path (OTLP to the
 * bridge, which delivers from its own process). Each configuration runs in a process of its
 * own (`turn-cpu-app.ts`), 3,000 turns paced 2 ms apart, against the local receiver in another
 * process; the app runs on CPU 0 and the receiver on CPU 1 where they can be pinned; rounds
 * interleave the configurations; medians are shown.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { BRIDGE_TOKEN, startBridgeProcess } from './bridge.bench';
import { CAN_PIN, onCpu } from './cpu-pinning';
import { API_KEY, median, startReceiverProcess } from './exporter.bench';

const ROUNDS = 5;
const TURNS = 3_000;

function runApp(mode: string, endpoint: string, bridgeUrl: string): Promise<number> {
  const [command, ...args] = onCpu(
    [process.execPath, resolve(__dirname, 'turn-cpu-app.js'), mode, String(TURNS), '2'],
    0,
  );
  const child = spawn(command as string, args, {
    env: {
      ...process.env,
      AGENTSIGHT_API_KEY: API_KEY,
      AGENTSIGHT_API_ENDPOINT: endpoint,
      AGENTSIGHT_BRIDGE_URL: bridgeUrl,
      AGENTSIGHT_BRIDGE_TOKEN: BRIDGE_TOKEN,
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
  const receiver = await startReceiverProcess([], 1);
  const bridge = await startBridgeProcess(receiver.url, 1);
  const runs: Record<string, number[]> = { otel: [], agentsight: [], bare: [], floor: [], bridge: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of Object.keys(runs)) {
        (runs[mode] as number[]).push(await runApp(mode, receiver.url, bridge.url));
      }
    }
  } finally {
    bridge.child.kill();
    receiver.child.kill();
  }
  const otel = median(runs.otel as number[]);
  const added = (mode: string) => median(runs[mode] as number[]) - otel;
  const fmt = (n: number) => `${Math.round(n).toLocaleString('en')} µs`;
  console.log(
    `\nCPU per chat turn, whole process (all threads), median of ${ROUNDS} interleaved runs of 3,000 paced turns` +
      (CAN_PIN ? '; app on CPU 0, receiver on CPU 1' : ''),
  );
  console.log(
    '  turn: conversation, user and agent messages, 2 LLM spans with token usage, 1 tool call (4 items + 0.1 record)',
  );
  console.log(`  OpenTelemetry alone                              ${fmt(otel)}`);
  console.log(`  + AgentSightSpanProcessor                        adds ${fmt(added('agentsight'))}`);
  console.log(`  + a bare keep-alive undici client, same requests adds ${fmt(added('bare'))}`);
  console.log(`  + the floor: same requests by hand on raw sockets adds ${fmt(added('floor'))}`);
  console.log(`  + OTLP to the bridge (it delivers, own process)   adds ${fmt(added('bridge'))}`);
  console.log(
    `  AgentSight's addition: ${(added('agentsight') / added('bare')).toFixed(2)}× the bare client's, ` +
      `${(added('agentsight') / added('floor')).toFixed(2)}× the floor's (issue 22's goal: ≤ 250 µs and ≤ 1.3× the bare client)`,
  );
  const list = (mode: string) => (runs[mode] as number[]).map(Math.round).join(', ');
  console.log(
    `  runs (µs/turn): otel ${list('otel')}; agentsight ${list('agentsight')}; bare ${list('bare')}; floor ${list('floor')}; bridge ${list('bridge')}`,
  );
}
