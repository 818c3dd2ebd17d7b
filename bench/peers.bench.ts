/**
 * `npm run bench -- peers`: the peers' wrappers around the same tool call, each recording the
 * input and the output, beside the same span written by hand and beside `@TrackAction`:
 * OpenInference `traceTool`, Langfuse `observe` (as a tool), OpenLLMetry (Traceloop) `withTool`.
 * The peers live in `bench/peers` with a package.json of their own (`npm --prefix bench/peers ci`),
 * so they stay out of the main install; the bench says so and skips them when they are missing.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { CountingProcessor } from './decorators.bench';
import { compare, compareAsync, report } from './harness';

type ToolsModule = typeof import('./decorated/tools');
type AnyFn = (...args: any[]) => any;

interface Peers {
  traceTool: (fn: AnyFn, options: { name: string }) => AnyFn;
  observe: (fn: AnyFn, options: { name: string; asType: string }) => AnyFn;
  withTool: (config: { name: string }, fn: AnyFn, ...args: unknown[]) => Promise<unknown>;
}

function loadPeers(): Peers | undefined {
  const peersRequire = createRequire(join(__dirname, '..', '..', 'bench', 'peers', 'package.json'));
  try {
    const openinference = peersRequire('@arizeai/openinference-core');
    const langfuse = peersRequire('@langfuse/tracing');
    const traceloop = peersRequire('@traceloop/node-server-sdk');
    // Configured, but without an SDK of its own: it records into the provider registered here.
    traceloop.initialize({
      apiKey: 'bench',
      tracingEnabled: false,
      traceloopSyncEnabled: false,
      silenceInitializationMessage: true,
      traceContent: true,
    });
    return { traceTool: openinference.traceTool, observe: langfuse.observe, withTool: traceloop.withTool };
  } catch (error) {
    console.log(`\nPeers: not installed (${(error as Error).message.split('\n')[0]}); run npm --prefix bench/peers ci`);
    return undefined;
  }
}

/** Runs the peers side by side and prints ratios to the hand-written span. */
export async function benchPeers(): Promise<void> {
  const peers = loadPeers();
  if (peers === undefined) return;
  const provider = new NodeTracerProvider({ spanProcessors: [new CountingProcessor()] });
  provider.register();
  const tools = require('./decorated/tools') as ToolsModule;
  const { handWritten, handWrittenAsync } = require('./decorators.bench') as typeof import('./decorators.bench');
  const ours = new tools.Tools();
  const sku = 'SKU-12345';
  const lookupAsync = async (value: string) => tools.lookup(value);
  const openinference = peers.traceTool(tools.lookup, { name: 'lookup' });
  const openinferenceAsync = peers.traceTool(lookupAsync, { name: 'lookup' });
  const langfuse = peers.observe(tools.lookup, { name: 'lookup', asType: 'tool' });
  const langfuseAsync = peers.observe(lookupAsync, { name: 'lookup', asType: 'tool' });

  const sync = await compare([
    { name: 'hand-written span', run: () => handWritten(tools, sku, undefined, false) },
    { name: '@TrackAction', run: () => ours.sync(sku) },
    { name: 'OpenInference traceTool', run: () => openinference(sku) },
    { name: 'Langfuse observe', run: () => langfuse(sku) },
  ]);
  report('Peers, sync tool call with input and output (OpenLLMetry has no sync form)', sync, 'hand-written span');
  const async = await compareAsync([
    { name: 'hand-written span', run: () => handWrittenAsync(tools, sku, undefined, false) },
    { name: '@TrackAction', run: () => ours.async(sku) },
    { name: 'OpenInference traceTool', run: () => openinferenceAsync(sku) },
    { name: 'Langfuse observe', run: () => langfuseAsync(sku) },
    { name: 'OpenLLMetry withTool', run: () => peers.withTool({ name: 'lookup' }, lookupAsync, sku) },
  ]);
  report('Peers, async tool call with input and output', async, 'hand-written span');
  trace.disable();
  context.disable();
  propagation.disable();
  await provider.shutdown();
}
