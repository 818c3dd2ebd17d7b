/**
 * Exporter benchmarks: mapping throughput (pure, spans/s), delivery throughput to the local
 * receiver (items/s) at concurrency 1 and 8 beside the receiver's own ceiling, requests per
 * turn, and peak RSS while 100k spans are exported through the batch processor.
 *
 * The receiver runs in a child process so its work and memory are not counted as ours.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { context, propagation, trace } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import {
  AgentSightSpanExporter,
  trackAction,
  trackAgentMessage,
  trackConversation,
  trackHumanMessage,
  trackTokenUsage,
} from 'agentsight-otel';
import { toConversationPlans } from '#internal/exporter/mapping';
import { type ConversationPlan, ITEM_PATHS } from '#internal/exporter/payloads';

const API_KEY = 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3';

/** One turn as an agent makes it: a question, two tool calls, token usage, an answer. */
export function turn(conversationId: string, index: number): void {
  trackConversation({ conversationId, customerId: 'u-1', name: 'Bench', source: 'api', device: 'desktop' }, () => {
    trackHumanMessage(`question ${index}: what is the stock of SKU-${index}?`);
    trackAction({ name: 'lookup', toolsUsed: { tool: 'db' } }, () => ({ sku: index, stock: 12 }));
    trackAction('format', () => `SKU-${index}: 12 in stock`);
    trackTokenUsage({ promptTokens: 120, completionTokens: 30 });
    trackAgentMessage(`SKU-${index} has 12 units in stock.`);
  });
}

/** Spans of `turns` turns over `conversations` conversations, made by the real SDK. */
function makeSpans(turns: number, conversations: number, prefix = 'bench'): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  provider.register();
  for (let i = 0; i < turns; i++) turn(`${prefix}-${i % conversations}`, i);
  const spans = memory.getFinishedSpans();
  trace.disable();
  context.disable();
  propagation.disable();
  return spans;
}

/** Starts the receiver CLI in its own process. */
async function startReceiverProcess(): Promise<{ url: string; child: ChildProcess }> {
  const cli = require.resolve('agentsight-otel/package.json').replace(/package\.json$/, 'dist/cjs/devserver/cli.js');
  const child = spawn(process.execPath, [cli, 'dev-server', '--port', '0', '--quiet', '--api-key', API_KEY], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(`receiver exited: ${output}`)));
  });
  return { url, child };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Mapping throughput: spans mapped per second (median of rounds). */
function benchMapping(spans: ReadableSpan[]): number {
  const options = { environment: 'development', maxFieldLength: 32_768 };
  for (let i = 0; i < 5; i++) toConversationPlans(spans, options);
  const rates: number[] = [];
  for (let round = 0; round < 15; round++) {
    const start = process.hrtime.bigint();
    toConversationPlans(spans, options);
    rates.push(spans.length / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return median(rates);
}

/** One export through `exporter`; returns the seconds it took to be reported delivered. */
async function exportOnce(exporter: AgentSightSpanExporter, spans: ReadableSpan[]): Promise<number> {
  const start = process.hrtime.bigint();
  const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
  if (result.code !== 0) throw new Error(`export failed: ${String(result.error)}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * The receiver's own ceiling: the very requests the exporter sends (same bodies, same order per
 * conversation, same number of conversations at once), pre-serialised, from a bare keep-alive
 * client doing nothing else.
 */
async function receiverCeiling(url: string, plans: ConversationPlan[], concurrency: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
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
  // Conversations were created by the exporter runs already, so their ids are known up front.
  const ids = new Map<string, number>();
  for (const plan of plans)
    ids.set(plan.conversationId, JSON.parse(await post(ITEM_PATHS.conversation, JSON.stringify(plan.record))).id);
  const requests = plans.map((plan) => ({
    create: JSON.stringify(plan.record),
    items: plan.items.map((item) => ({
      path: ITEM_PATHS[item.kind],
      payload: JSON.stringify({ ...item.body, conversation: ids.get(plan.conversationId) }),
    })),
  }));
  let next = 0;
  let sent = 0;
  const lane = async () => {
    for (let i = next++; i < requests.length; i = next++) {
      const conversation = requests[i];
      if (!conversation) continue;
      await post(ITEM_PATHS.conversation, conversation.create);
      for (const item of conversation.items) await post(item.path, item.payload);
      sent += 1 + conversation.items.length;
    }
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return sent / seconds;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

/** Runs the exporter benchmarks and prints them. */
export async function benchExporter(): Promise<void> {
  const spans = makeSpans(5_000, 500);
  const mapping = benchMapping(spans);
  console.log('\nExporter: mapping (pure, no I/O)');
  console.log(
    `  toConversationPlans   ${Math.round(mapping).toLocaleString('en')} spans/s  (${spans.length} spans, target ≥ 200,000)`,
  );

  const receiver = await startReceiverProcess();
  try {
    console.log('\nExporter: delivery to the local receiver (separate process, loopback)');
    const turns = 1_000;
    for (const deliveryThread of [true, false]) {
      for (const concurrency of [1, 8]) {
        const exporter = new AgentSightSpanExporter({
          apiKey: API_KEY,
          endpoint: receiver.url,
          concurrency,
          deliveryThread,
        });
        await exportOnce(exporter, makeSpans(200, 20, `warm-${deliveryThread}-${concurrency}`)); // JIT and worker start-up
        // Each run has conversations of its own, so the exporter creates each one, as on first contact.
        // Runs alternate with the bare client's replay of the same requests.
        const exporterRates: number[] = [];
        const ceilings: number[] = [];
        let requests = 0;
        for (let run = 0; run < 5; run++) {
          const spans = makeSpans(turns, 100, `run-${deliveryThread}-${concurrency}-${run}`);
          const { plans } = toConversationPlans(spans, { environment: 'development', maxFieldLength: 32_768 });
          requests = plans.reduce((sum, plan) => sum + 1 + plan.items.length, 0);
          exporterRates.push(requests / (await exportOnce(exporter, spans)));
          ceilings.push(await receiverCeiling(receiver.url, plans, concurrency));
        }
        await exporter.shutdown();
        const rate = median(exporterRates);
        const ceiling = median(ceilings);
        console.log(
          `  ${deliveryThread ? 'worker thread' : 'main thread  '}, concurrency ${concurrency}: ${Math.round(rate).toLocaleString('en')} items/s ` +
            `(${requests} requests for ${turns} turns = ${(requests / turns).toFixed(2)} per turn); ` +
            `receiver ceiling ${Math.round(ceiling).toLocaleString('en')} req/s → ${((rate / ceiling) * 100).toFixed(0)}% of it (medians of 5)`,
        );
      }
    }

    // In a process of its own, so nothing measured above is in its heap.
    const memory = await runMemoryBench(receiver.url, 100_000);
    console.log(
      '\nExporter: memory while 100k spans are made and exported (NodeTracerProvider + AgentSightSpanProcessor)',
    );
    console.log(
      `  RSS ${mb(memory.baseline)} before, peak ${mb(memory.peak)} (+${mb(memory.peak - memory.baseline)}); ` +
        `heap retained after shutdown and GC ${mb(memory.retainedHeap)}; ${memory.exported.toLocaleString('en')} of ${memory.made.toLocaleString('en')} spans ` +
        `exported in ${memory.seconds.toFixed(1)} s, ${memory.failedExports} failed exports`,
    );
  } finally {
    receiver.child.kill();
  }
}

/** What the memory benchmark process reports. */
interface MemoryReport {
  baseline: number;
  peak: number;
  after: number;
  retainedHeap: number;
  made: number;
  exported: number;
  failedExports: number;
  seconds: number;
}

function runMemoryBench(url: string, spans: number): Promise<MemoryReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', `${__dirname}/exporter-memory.js`, url, String(spans)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(output) as MemoryReport) : reject(new Error(`memory bench exited ${code}`)),
    );
  });
}
