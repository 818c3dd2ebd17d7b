/**
 * `npm run bench`: every benchmark, side by side, as ratios. Pass names to run a subset
 * (`npm run bench -- exporter`).
 */
import { benchBridge } from './bridge.bench';
import { benchChatLatency } from './chat-latency.bench';
import { benchDecorators } from './decorators.bench';
import { benchDeliveryLatency, benchOutageMemory } from './delivery-latency.bench';
import { benchExporter } from './exporter.bench';
import { benchPeers } from './peers.bench';
import { benchSampler } from './sampler.bench';
import { benchServerlessFlush } from './serverless-flush.bench';
import { benchTurnCpu } from './turn-cpu.bench';

const benches: Record<string, () => Promise<unknown>> = {
  decorators: async () => {
    await benchDecorators();
    await benchPeers(); // side by side, in the same run
  },
  peers: benchPeers,
  exporter: benchExporter,
  'delivery-latency': benchDeliveryLatency,
  'delivery-memory': benchOutageMemory,
  'chat-latency': benchChatLatency,
  sampler: benchSampler,
  bridge: benchBridge,
  'turn-cpu': benchTurnCpu,
  'serverless-flush': benchServerlessFlush,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${require('node:os').cpus().length} CPUs`);
  for (const [name, run] of Object.entries(benches)) {
    // A bare run skips `peers`: `decorators` already runs them.
    if (wanted.length === 0 ? name !== 'peers' : wanted.includes(name)) await run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
