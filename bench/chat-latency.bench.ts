/**
 * Latency of the example chat server's `POST /chat`, with tracking (NodeSDK, HTTP + OpenAI
 * instrumentations, AgentSightSpanProcessor delivering to the receiver) and without (no telemetry
 * at all), in the same run: two server processes, requests alternating between them in rounds.
 *
 * A small keep-alive client measures each request with process.hrtime (µs): autocannon and wrk
 * report whole milliseconds, too coarse for a 5% budget on a ~5 ms median.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';

const API_KEY = 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3';
const BODY = JSON.stringify({ message: 'What is 127 multiplied by 8?' });
const ROOT = resolve(__dirname, '../..');

/**
 * On a machine of two or more CPUs (Linux, `taskset`), the chat servers run on CPU 0 and the load
 * generator (this process) and the receiver on CPU 1: on 2 vCPUs, letting them share made the
 * servers' latency measure the load generator's and receiver's scheduling as much as tracking.
 */
const PINNED = (() => {
  if (process.platform !== 'linux' || require('node:os').cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function startProcess(script: string, args: string[], env: Record<string, string>, ready: RegExp, cpu?: number) {
  const { OPENAI_API_KEY: _offline, ...inherited } = process.env;
  const command = [process.execPath, resolve(ROOT, script), ...args];
  const pinned = PINNED && cpu !== undefined ? ['taskset', '-c', String(cpu), ...command] : command;
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

/** Runs the comparison and prints medians and p99 side by side. */
export async function benchChatLatency(): Promise<void> {
  const receiver = await startProcess(
    'dist/cjs/cli.js',
    ['dev-server', '--port', '0', '--quiet', '--api-key', API_KEY],
    {},
    /listening on (http:\/\/\S+)/,
    1,
  );
  const servers = {
    tracked: await startProcess(
      'build/examples/chat-server/main.js',
      [],
      { PORT: '0', AGENTSIGHT_API_KEY: API_KEY, AGENTSIGHT_API_ENDPOINT: receiver.url },
      /chat server listening on (http:\/\/\S+)/,
      0,
    ),
    otelOnly: await startProcess(
      'build/examples/chat-server/main.js',
      [],
      { PORT: '0', AGENTSIGHT_TRACKING: 'otel' },
      /chat server listening on (http:\/\/\S+)/,
      0,
    ),
    untracked: await startProcess(
      'build/examples/chat-server/main.js',
      [],
      { PORT: '0', AGENTSIGHT_TRACKING: 'off' },
      /chat server listening on (http:\/\/\S+)/,
      0,
    ),
  };
  // A steady load well below saturation (2 × 40 req/s): a chat server waits on its LLM, and
  // what matters is the time tracking adds to each request, not the CPU headroom of this box.
  const rounds = 12;
  const perRound = 400;
  const connections = 2;
  const intervalMs = 25;
  type Mode = keyof typeof servers;
  const modes = Object.keys(servers) as Mode[];
  const all: Record<Mode, number[]> = { tracked: [], otelOnly: [], untracked: [] };
  const perRound50: Record<Mode, number[]> = { tracked: [], otelOnly: [], untracked: [] };
  const perRound99: Record<Mode, number[]> = { tracked: [], otelOnly: [], untracked: [] };
  const cpuPerRequest: Record<Mode, number[]> = { tracked: [], otelOnly: [], untracked: [] };
  try {
    for (const server of Object.values(servers)) await load(server.url, 200, connections); // warm-up
    for (let round = 0; round < rounds; round++) {
      const order = modes.map((_, i) => modes[(i + round) % modes.length] as Mode);
      for (const mode of order) {
        const cpuBefore = cpuMillis(servers[mode].child);
        const latencies = await load(servers[mode].url, perRound, connections, intervalMs);
        // The server's CPU over the block, its background work (exports) included.
        cpuPerRequest[mode].push((cpuMillis(servers[mode].child) - cpuBefore) / perRound);
        all[mode].push(...latencies);
        perRound50[mode].push(percentile(latencies, 50));
        perRound99[mode].push(percentile(latencies, 99));
      }
    }
  } finally {
    // Servers first (they flush to the receiver on SIGTERM), then the receiver.
    await Promise.all(Object.values(servers).map((server) => stop(server.child)));
    await stop(receiver.child);
  }
  console.log(
    `\nChat server POST /chat (tool call + 2 LLM calls to the scripted model), ${rounds} rounds × ${perRound} ` +
      `requests per mode, modes interleaved, ${connections} connections each sending every ${intervalMs} ms` +
      (PINNED ? '; servers on CPU 0, load generator and receiver on CPU 1' : ''),
  );
  const labels: Record<Mode, string> = {
    untracked: 'no telemetry',
    otelOnly: 'OpenTelemetry (NodeSDK, http, openai)',
    tracked: 'OpenTelemetry + AgentSight',
  };
  for (const mode of ['untracked', 'otelOnly', 'tracked'] as const) {
    console.log(
      `  ${labels[mode].padEnd(38)} p50 ${percentile(all[mode], 50).toFixed(2)} ms  p99 ${percentile(all[mode], 99).toFixed(2)} ms` +
        `  server CPU ${(median(cpuPerRequest[mode]) * 1000).toFixed(0)} µs/request`,
    );
  }
  // Per round, each mode against the one before it: drift on a shared machine hits both alike.
  const pairedAdded = (values: Record<Mode, number[]>, mode: Mode, base: Mode) =>
    `${((median(values[mode].map((v, i) => v / (values[base][i] as number))) - 1) * 100).toFixed(1)}%`;
  console.log(
    `  AgentSight on top of OpenTelemetry adds ${pairedAdded(perRound50, 'tracked', 'otelOnly')} at p50 and ` +
      `${pairedAdded(perRound99, 'tracked', 'otelOnly')} at p99 (median of per-round ratios; target < 5%), ` +
      `${((median(cpuPerRequest.tracked) - median(cpuPerRequest.otelOnly)) * 1000).toFixed(0)} µs of CPU per request`,
  );
  console.log(
    `  all telemetry together adds ${pairedAdded(perRound50, 'tracked', 'untracked')} at p50 and ` +
      `${pairedAdded(perRound99, 'tracked', 'untracked')} at p99`,
  );
}
