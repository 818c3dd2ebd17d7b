/**
 * `npm run bench -- delivery-latency`: items delivered per second to the local receiver (its own
 * process) answering in 0, 20, 100 and 300 ms, side by side with
 * - a bare keep-alive client sending the very same requests, at the same concurrency and in the
 *   same order per conversation (the receiver's ceiling for that shape of work), and
 * - the Python SDK's model: one request at a time.
 * `npm run bench -- delivery-memory`: 1M spans made during a 30 s outage (`delivery-memory.ts`).
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { AgentSightSpanExporter } from 'agentsight-otel';
import { toConversationPlans } from '#internal/mapping/mapping';
import { type ConversationPlan, ITEM_PATHS } from '#internal/mapping/payloads';
import { API_KEY, makeSpans, median, startReceiverProcess } from './exporter.bench';

/** A conversation's requests, pre-serialised (items get the backend id once it is known). */
interface Lane {
  readonly record: string;
  readonly items: { path: string; body: object }[];
}

function lanesOf(plans: readonly ConversationPlan[]): Lane[] {
  return plans.map((plan) => ({
    record: JSON.stringify(plan.record),
    items: plan.items.map((item) => ({ path: ITEM_PATHS[item.kind], body: item.body })),
  }));
}

/** A bare keep-alive client: POSTs and resolves with the answer text (2xx only). */
function bareClient(
  url: string,
  sockets: number,
): { post: (path: string, body: string) => Promise<string>; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const post = (path: string, payload: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request(`${url}${path}`, {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          authorization: `Api-Key ${API_KEY}`,
          'content-length': Buffer.byteLength(payload),
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () =>
          res.statusCode === 200 || res.statusCode === 201 ? resolve(text) : reject(new Error(text)),
        );
      });
      req.on('error', reject);
      req.end(payload);
    });
  return { post, close: () => agent.destroy() };
}

/**
 * Sends `lanes` with `concurrency` conversations at a time, each in order (record, then items),
 * for at most `maxSeconds`; returns requests per second.
 */
async function replay(url: string, lanes: readonly Lane[], concurrency: number, maxSeconds: number): Promise<number> {
  const client = bareClient(url, concurrency);
  let next = 0;
  let sent = 0;
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  const worker = async () => {
    for (let i = next++; i < lanes.length && elapsed() < maxSeconds; i = next++) {
      const lane = lanes[i] as Lane;
      const { id } = JSON.parse(await client.post(ITEM_PATHS.conversation, lane.record)) as { id: number };
      sent += 1;
      for (const item of lane.items) {
        if (elapsed() >= maxSeconds) break;
        await client.post(item.path, JSON.stringify({ ...item.body, conversation: id }));
        sent += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = elapsed();
  client.close();
  return sent / seconds;
}

/**
 * Our exporter with default options (one per receiver, warmed up, as in a running app): hand
 * the spans over, flush; returns requests per second, the time to map included.
 */
async function ours(exporter: AgentSightSpanExporter, prefix: string, conversations: number): Promise<number> {
  const spans = makeSpans(conversations, conversations, prefix);
  const { plans } = toConversationPlans(spans, { environment: 'development', maxFieldLength: 32_768 });
  const requests = plans.reduce((sum, plan) => sum + 1 + plan.items.length, 0);
  const start = process.hrtime.bigint();
  for (let i = 0; i < spans.length; i += 128) exporter.export(spans.slice(i, i + 128), () => undefined);
  await exporter.forceFlush();
  return requests / (Number(process.hrtime.bigint() - start) / 1e9);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en').padStart(7);

/** Runs the delivery benchmarks and prints them. */
export async function benchDeliveryLatency(): Promise<void> {
  console.log('\nDelivery: requests/s to the local receiver (own process), by its answer time');
  console.log(
    '  one turn per conversation: record + question + 2 actions + token usage + answer = 6 requests in order',
  );
  console.log(
    `  ${'latency'.padEnd(8)} ${'ours'.padStart(7)}  ${'bare@256'.padStart(8)}  ${'ours/bare'.padStart(9)}  ${'python (1 at a time)'.padStart(20)}  ours/python`,
  );
  for (const latency of [0, 20, 100, 300]) {
    const receiver = await startReceiverProcess(['--latency', String(latency)]);
    try {
      const conversations = latency === 0 ? 2_000 : 1_000;
      const exporter = new AgentSightSpanExporter({ apiKey: API_KEY, endpoint: receiver.url });
      await ours(exporter, `warm-${latency}`, conversations); // JIT and worker start-up
      const runs: { ours: number; bare: number }[] = [];
      for (let run = 0; run < 3; run++) {
        const mine = await ours(exporter, `ours-${latency}-${run}`, conversations);
        const spans = makeSpans(conversations, conversations, `bare-${latency}-${run}`);
        const lanes = lanesOf(toConversationPlans(spans, { environment: 'development', maxFieldLength: 32_768 }).plans);
        runs.push({ ours: mine, bare: await replay(receiver.url, lanes, 256, 120) });
      }
      const { concurrencyLimit } = exporter.stats();
      await exporter.shutdown();
      const pySpans = makeSpans(50, 50, `python-${latency}`);
      const pyLanes = lanesOf(
        toConversationPlans(pySpans, { environment: 'development', maxFieldLength: 32_768 }).plans,
      );
      const python = await replay(receiver.url, pyLanes, 1, latency === 0 ? 3 : 4);
      const o = median(runs.map((r) => r.ours));
      const b = median(runs.map((r) => r.bare));
      console.log(
        `  ${`${latency} ms`.padEnd(8)} ${fmt(o)}  ${fmt(b).padStart(8)}  ${`${((o / b) * 100).toFixed(0)}%`.padStart(9)}  ${fmt(python).padStart(20)}  ${`${(o / python).toFixed(0)}×`.padStart(11)}   (limit reached ${concurrencyLimit})`,
      );
    } finally {
      receiver.child.kill();
    }
  }
  console.log('  (medians of 3 runs; goals: ≥ 1,000/s at 100 ms, ≥ 90% of the bare client at 0 ms)');
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What the memory child process reports. */
interface OutageReport {
  baselineRss: number;
  peakRss: number;
  peakBeforeDrain: number;
  spans: number;
  makeSeconds: number;
  drainSeconds: number;
  stats: { delivered: number; conversationsCreated: number; dropped: Record<string, number>; queuedItems: number };
  maxQueueBytes: number;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Runs the memory child to the end and returns what it printed. */
async function runMemoryChild(args: string[]): Promise<string> {
  const child = spawn(process.execPath, ['--expose-gc', `${__dirname}/delivery-memory.js`, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`memory bench exited ${code}: ${output}`);
  return output;
}

/** `npm run bench -- delivery-memory`: 1M spans made while the API refuses connections for 30 s; then it comes back. */
export async function benchOutageMemory(): Promise<void> {
  const alone = JSON.parse(await runMemoryChild(['http://127.0.0.1:9', '1000000', '0', 'baseline'])) as {
    baselineRss: number;
    peakRss: number;
  };
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--expose-gc', `${__dirname}/delivery-memory.js`, url, '1000000', '30000'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  // The API is down for 30 s, then a receiver starts on that port.
  await new Promise((resolve) => setTimeout(resolve, 30_000));
  const receiver = await startReceiverProcess(['--port', String(port)]);
  try {
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`memory bench exited ${code}: ${output}`);
  } finally {
    receiver.child.kill();
  }
  const report = JSON.parse(output) as OutageReport;
  const dropped = Object.entries(report.stats.dropped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n.toLocaleString('en')} ${reason}`)
    .join(', ');
  console.log('\nDelivery: memory, 1M spans made during a 30 s outage (AgentSightSpanProcessor, default options)');
  console.log(
    `  RSS ${mb(report.baselineRss)} before; peak +${mb(report.peakBeforeDrain - report.baselineRss)} during the outage, ` +
      `+${mb(report.peakRss - report.baselineRss)} while the queue drains afterwards; ` +
      `queue budget ${mb(report.maxQueueBytes)}; ${report.spans.toLocaleString('en')} spans made in ${report.makeSeconds.toFixed(1)} s`,
  );
  console.log(
    `  the same spans with no AgentSight processor: peak +${mb(alone.peakRss - alone.baselineRss)} (garbage of making them); ` +
      `AgentSight's share +${mb(report.peakRss - report.baselineRss - (alone.peakRss - alone.baselineRss))}`,
  );
  console.log(
    `  after the outage: ${report.stats.delivered.toLocaleString('en')} items delivered in ${report.drainSeconds.toFixed(1)} s, ` +
      `dropped: ${dropped || 'none'} (counted, reported)`,
  );
}
