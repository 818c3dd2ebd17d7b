/**
 * Latency of the example chat server's `POST /chat`, with tracking (NodeSDK, HTTP + OpenAI
 * instrumentations, AgentSightSpanProcessor delivering to the receiver), with OpenTelemetry
 * sending OTLP to the bridge (which delivers), with OpenTelemetry alone and without telemetry, in
 * the same run: one server process per mode, requests alternating between them in blocks.
 *
 * A small keep-alive client measures each request with process.hrtime (µs): autocannon and wrk
 * report whole milliseconds, too coarse for a 5% budget on a ~5 ms median.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { BRIDGE_TOKEN, startBridgeProcess } from './bridge.bench';
import { CAN_PIN, onCpu, pinThisProcess } from './cpu-pinning';

const API_KEY = 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3';
const BODY = JSON.stringify({ message: 'What is 127 multiplied by 8?' });
const ROOT = resolve(__dirname, '../..');

function startProcess(script: string, args: string[], env: Record<string, string>, ready: RegExp, cpu?: number) {
  const { OPENAI_API_KEY: _offline, ...inherited } = process.env;
  const command = [process.execPath, resolve(ROOT, script), ...args];
  const pinned = onCpu(command, cpu);
  const child: ChildProcess = spawn(pinned[0] as string, pinned.slice(1), {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise<{ url: string; child: ChildProcess }>((done, fail) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match?.[1]) done({ url: match[1], child });
    });
    child.once('exit', () => fail(new Error(`${script} exited: ${output}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/**
 * Sends `count` requests over `connections` keep-alive connections, each connection starting a
 * request every `intervalMs` (or at once when the previous one took longer); returns each
 * latency in ms.
 */
async function load(url: string, count: number, connections: number, intervalMs = 0): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const once = () =>
    new Promise<void>((done, fail) => {
      const started = process.hrtime.bigint();
      const req = request(`${url}/chat`, {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) return fail(new Error(`status ${res.statusCode}`));
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          done();
        });
      });
      req.on('error', fail);
      req.end(BODY);
    });
  let sent = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (sent < count) {
        sent += 1;
        const started = Date.now();
        await once();
        const wait = intervalMs - (Date.now() - started);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }),
  );
  agent.destroy();
  return latencies;
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
function cpuMillis(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function median(values: number[]): number {
  return percentile(values, 50);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

type Mode = 'tracked' | 'bridged' | 'otelOnly' | 'untracked';
const MODES: readonly Mode[] = ['tracked', 'bridged', 'otelOnly', 'untracked'];
/** Where a server sends: the receiver (the API's stand-in) and the bridge in front of it. */
interface Endpoints {
  readonly receiverUrl: string;
  readonly bridgeUrl: string;
}
const SERVER_ENV: Record<Mode, (endpoints: Endpoints) => Record<string, string>> = {
  tracked: ({ receiverUrl }) => ({ AGENTSIGHT_API_KEY: API_KEY, AGENTSIGHT_API_ENDPOINT: receiverUrl }),
  // The Collector path without the Collector: OpenTelemetry only, its OTLP exporter to the bridge.
  bridged: ({ bridgeUrl }) => ({
    AGENTSIGHT_TRACKING: 'otel',
    OTEL_EXPORTER_OTLP_ENDPOINT: bridgeUrl,
    OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${BRIDGE_TOKEN}`,
  }),
  otelOnly: () => ({ AGENTSIGHT_TRACKING: 'otel' }),
  untracked: () => ({ AGENTSIGHT_TRACKING: 'off' }),
};

/** One server per mode, fresh: the same server in two processes differs by up to ±10% at p50. */
async function startServers(endpoints: Endpoints) {
  const servers = {} as Record<Mode, { url: string; child: ChildProcess }>;
  for (const mode of MODES) {
    servers[mode] = await startProcess(
      'build/examples/chat-server/main.js',
      [],
      { PORT: '0', ...SERVER_ENV[mode](endpoints) },
      /chat server listening on (http:\/\/\S+)/,
      0,
    );
  }
  return servers;
}

/**
 * Runs the comparison and prints medians and p99 side by side. Each round starts fresh servers
 * (one per mode) and measures them in interleaved blocks: the figures are medians over rounds of
 * each round's ratio, so neither a drift of the machine nor one process's luck decides them.
 */
export async function benchChatLatency(): Promise<void> {
  // The chat servers run on CPU 0, the load generator (this process) and the receiver on CPU 1:
  // letting them share made the servers' latency measure the load generator's and receiver's
  // scheduling as much as tracking.
  pinThisProcess(1);
  const receiver = await startProcess(
    'dist/cjs/cli.js',
    ['dev-server', '--port', '0', '--quiet', '--api-key', API_KEY],
    {},
    /listening on (http:\/\/\S+)/,
    1,
  );
  const bridge = await startBridgeProcess(receiver.url, 1);
  // A steady load well below saturation (2 × 40 req/s): a chat server waits on its LLM, and
  // what matters is the time tracking adds to each request, not the CPU headroom of this box.
  const rounds = 5;
  const blocks = 3;
  const perBlock = 300;
  const connections = 2;
  const intervalMs = 25;
  const all: Record<Mode, number[]> = { tracked: [], bridged: [], otelOnly: [], untracked: [] };
  const perRound50: Record<Mode, number[]> = { tracked: [], bridged: [], otelOnly: [], untracked: [] };
  const perRound99: Record<Mode, number[]> = { tracked: [], bridged: [], otelOnly: [], untracked: [] };
  const cpuPerRequest: Record<Mode, number[]> = { tracked: [], bridged: [], otelOnly: [], untracked: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      const servers = await startServers({ receiverUrl: receiver.url, bridgeUrl: bridge.url });
      try {
        // Warm-up, all three at once: fresh processes compile for their first seconds, and a
        // server measured then measures its compiler.
        await Promise.all(MODES.map((mode) => load(servers[mode].url, 800, connections, intervalMs)));
        const latencies: Record<Mode, number[]> = { tracked: [], bridged: [], otelOnly: [], untracked: [] };
        const cpuBefore = MODES.map((mode) => cpuMillis(servers[mode].child));
        for (let block = 0; block < blocks; block++) {
          for (let i = 0; i < MODES.length; i++) {
            const mode = MODES[(i + block + round) % MODES.length] as Mode;
            latencies[mode].push(...(await load(servers[mode].url, perBlock, connections, intervalMs)));
          }
        }
        MODES.forEach((mode, i) => {
          // The server's CPU over its blocks, its background work (exports) included.
          cpuPerRequest[mode].push((cpuMillis(servers[mode].child) - (cpuBefore[i] as number)) / (blocks * perBlock));
          all[mode].push(...latencies[mode]);
          perRound50[mode].push(percentile(latencies[mode], 50));
          perRound99[mode].push(percentile(latencies[mode], 99));
        });
      } finally {
        // They flush to the receiver on SIGTERM.
        await Promise.all(Object.values(servers).map((server) => stop(server.child)));
      }
    }
  } finally {
    await stop(bridge.child);
    await stop(receiver.child);
  }
  console.log(
    `\nChat server POST /chat (tool call + 2 LLM calls to the scripted model), ${rounds} rounds of fresh servers, ` +
      `${blocks} × ${perBlock} requests per mode each, modes interleaved, ${connections} connections each sending every ${intervalMs} ms` +
      (CAN_PIN ? '; servers on CPU 0, load generator, receiver and bridge on CPU 1' : ''),
  );
  const labels: Record<Mode, string> = {
    untracked: 'no telemetry',
    otelOnly: 'OpenTelemetry (NodeSDK, http, openai)',
    tracked: 'OpenTelemetry + AgentSight',
    bridged: 'OpenTelemetry, OTLP to the bridge',
  };
  for (const mode of ['untracked', 'otelOnly', 'tracked', 'bridged'] as const) {
    console.log(
      `  ${labels[mode].padEnd(38)} p50 ${percentile(all[mode], 50).toFixed(2)} ms  p99 ${percentile(all[mode], 99).toFixed(2)} ms` +
        `  server CPU ${(median(cpuPerRequest[mode]) * 1000).toFixed(0)} µs/request`,
    );
  }
  // Per round, each mode against the one before it: drift on a shared machine hits both alike.
  const ratios = (values: Record<Mode, number[]>, mode: Mode, base: Mode) =>
    values[mode].map((v, i) => v / (values[base][i] as number) - 1);
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
  const added = (values: Record<Mode, number[]>, mode: Mode, base: Mode) => {
    const each = ratios(values, mode, base);
    return `${pct(median(each))} (rounds: ${each.map(pct).join(', ')})`;
  };
  console.log(
    `  AgentSight on top of OpenTelemetry adds ${added(perRound50, 'tracked', 'otelOnly')} at p50 and ` +
      `${added(perRound99, 'tracked', 'otelOnly')} at p99 (median of per-round ratios; issue 22's goal: ≤ 5% and ≤ 10%), ` +
      `${((median(cpuPerRequest.tracked) - median(cpuPerRequest.otelOnly)) * 1000).toFixed(0)} µs of CPU per request`,
  );
  console.log(
    `  Through the bridge instead (OTLP from the app, delivery in the bridge's process): ` +
      `${added(perRound50, 'bridged', 'otelOnly')} at p50, ${added(perRound99, 'bridged', 'otelOnly')} at p99, ` +
      `${((median(cpuPerRequest.bridged) - median(cpuPerRequest.otelOnly)) * 1000).toFixed(0)} µs of CPU per request`,
  );
  console.log(
    `  all telemetry together adds ${added(perRound50, 'tracked', 'untracked')} at p50 and ` +
      `${added(perRound99, 'tracked', 'untracked')} at p99`,
  );
}
