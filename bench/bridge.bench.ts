/**
 * `npm run bench -- bridge`: the bridge's throughput, side by side with direct export.
 *
 * - The receiver runs in its own process, answering in 0 or 100 ms; the bridge runs in its own
 *   process (`agentsight-otel bridge`), as deployed.
 * - "Collector": this process posts the same spans as OTLP/HTTP protobuf, gzip, in batches of 512
 *   (the batch processor's `send_batch_size`) with 1 sender (`num_consumers: 1`) or 8, and in
 *   batches of 4096 with 1 sender.
 * - Direct: the same spans through our exporter in this process (an app with the processor).
 * Reported: spans/s into the bridge, items/s out to AgentSight, and bridge/direct.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AgentSightSpanExporter } from 'agentsight-otel';
import { toConversationPlans } from '#internal/mapping/mapping';
import { onCpu } from './cpu-pinning';
import { API_KEY, makeSpans, median, startReceiverProcess } from './exporter.bench';

/** The bearer token the benchmarks' bridges take. */
export const BRIDGE_TOKEN = 'bench-bridge-token-0123456789';
const TOKEN = BRIDGE_TOKEN;

/** The bridge in a process of its own (on `cpu`, where processes can be pinned), delivering to `endpoint`. */
export async function startBridgeProcess(
  endpoint: string,
  cpu?: number,
): Promise<{ url: string; child: ChildProcess }> {
  const cli = require.resolve('agentsight-otel/package.json').replace(/package\.json$/, 'dist/cjs/cli.js');
  const [command, ...args] = onCpu([process.execPath, cli, 'bridge', '--port', '0', '--answer-within', '60000'], cpu);
  const child = spawn(command as string, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      AGENTSIGHT_API_KEY: API_KEY,
      AGENTSIGHT_API_ENDPOINT: endpoint,
      AGENTSIGHT_BRIDGE_TOKEN: TOKEN,
    },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)\/v1\/traces/.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', () => reject(new Error(`bridge exited: ${output}`)));
  });
  return { url, child };
}

/** Items (records + payloads) the spans make: what goes out to AgentSight. */
function itemsOf(spans: ReadableSpan[]): number {
  const { plans } = toConversationPlans(spans, { environment: 'development', maxFieldLength: 32_768 });
  return plans.reduce((n, plan) => n + 1 + plan.items.length, 0);
}

/** Posts pre-encoded batches with `senders` at a time; returns seconds taken. */
async function postBatches(url: string, batches: Buffer[], senders: number): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  const sender = async () => {
    for (let i = next++; i < batches.length; i = next++) {
      for (;;) {
        const response = await fetch(`${url}/v1/traces`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${TOKEN}`,
            'content-type': 'application/x-protobuf',
            'content-encoding': 'gzip',
          },
          body: batches[i],
        });
        await response.arrayBuffer();
        if (response.status === 200) break;
        if (response.status !== 503) throw new Error(`bridge answered ${response.status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function encode(spans: ReadableSpan[], batch = 512): Buffer[] {
  const batches: Buffer[] = [];
  for (let i = 0; i < spans.length; i += batch) {
    batches.push(gzipSync(ProtobufTraceSerializer.serializeRequest(spans.slice(i, i + batch)) as Uint8Array));
  }
  return batches;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en').padStart(8);

/** Runs the bridge benchmark and prints it. */
export async function benchBridge(): Promise<void> {
  console.log('\nBridge: OTLP/HTTP protobuf+gzip batches in, AgentSight requests out (both own processes)');
  console.log('  one turn per conversation: 6 spans, 6 requests (record + question + 2 actions + usage + answer)');
  console.log(
    `  ${'latency'.padEnd(8)} ${'senders × batch'.padStart(15)} ${'spans/s in'.padStart(11)} ${'items/s out'.padStart(12)} ${'direct items/s'.padStart(15)} ${'bridge/direct'.padStart(14)}`,
  );
  for (const latency of [0, 100]) {
    const receiver = await startReceiverProcess(['--latency', String(latency)]);
    const bridge = await startBridgeProcess(receiver.url);
    const exporter = new AgentSightSpanExporter({ apiKey: API_KEY, endpoint: receiver.url });
    try {
      const conversations = latency === 0 ? 2_000 : 1_000;
      // Warm both (JIT, connections, the delivery thread).
      await postBatches(bridge.url, encode(makeSpans(conversations, conversations, `warm-bridge-${latency}`)), 8);
      const warm = makeSpans(conversations, conversations, `warm-direct-${latency}`);
      for (let i = 0; i < warm.length; i += 128) exporter.export(warm.slice(i, i + 128), () => undefined);
      await exporter.forceFlush();
      const direct: number[] = [];
      for (let run = 0; run < 3; run++) {
        const spans = makeSpans(conversations, conversations, `direct-${latency}-${run}`);
        const start = process.hrtime.bigint();
        for (let i = 0; i < spans.length; i += 128) exporter.export(spans.slice(i, i + 128), () => undefined);
        await exporter.forceFlush();
        direct.push(itemsOf(spans) / (Number(process.hrtime.bigint() - start) / 1e9));
      }
      const directRate = median(direct);
      for (const [senders, batch] of [
        [1, 512],
        [8, 512],
        [1, 4096],
      ] as const) {
        const runs: { spans: number; items: number }[] = [];
        for (let run = 0; run < 3; run++) {
          const spans = makeSpans(conversations, conversations, `bridge-${latency}-${senders}-${batch}-${run}`);
          const batches = encode(spans, batch);
          const seconds = await postBatches(bridge.url, batches, senders);
          runs.push({ spans: spans.length / seconds, items: itemsOf(spans) / seconds });
        }
        const spansIn = median(runs.map((r) => r.spans));
        const itemsOut = median(runs.map((r) => r.items));
        console.log(
          `  ${`${latency} ms`.padEnd(8)} ${`${senders} × ${batch}`.padStart(15)} ${fmt(spansIn).padStart(11)} ${fmt(itemsOut).padStart(12)} ${fmt(directRate).padStart(15)} ${`${((itemsOut / directRate) * 100).toFixed(0)}%`.padStart(14)}`,
        );
      }
    } finally {
      await exporter.shutdown().catch(() => undefined);
      bridge.child.kill('SIGTERM');
      receiver.child.kill();
    }
  }
}
