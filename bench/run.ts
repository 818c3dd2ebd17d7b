/**
 * `npm run bench`: every benchmark, side by side, as ratios. Pass names to run a subset
 * (`npm run bench -- exporter`).
 */
import { benchChatLatency } from './chat-latency.bench';
import { benchDecorators } from './decorators.bench';
import { benchDeliveryLatency, benchOutageMemory } from './delivery-latency.bench';
import { benchExporter } from './exporter.bench';
import { benchPeers } from './peers.bench';
import { benchSampler } from './sampler.bench';

const benches: Record<string, () => Promise<unknown>> = {
  decorators: benchDecorators,
  peers: benchPeers,
  exporter: benchExporter,
  'delivery-latency': benchDeliveryLatency,
  'delivery-memory': benchOutageMemory,
  'chat-latency': benchChatLatency,
  sampler: benchSampler,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${require('node:os').cpus().length} CPUs`);
  for (const [name, run] of Object.entries(benches)) {
    if (wanted.length === 0 || wanted.includes(name)) await run();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
