/**
 * One cold start of a function for `serverless-flush.bench.ts`: a fresh process that tracks a turn
 * of a new conversation and flushes it (the cold flush), then a later turn of the same one and
 * flushes again (warm), as a handler would before its platform freezes it. Prints one JSON line.
 * Environment: AGENTSIGHT_API_ENDPOINT, and the platform's variables the bench sets.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import {
  AgentSightSpanProcessor,
  flushAgentSight,
  trackAction,
  trackConversation,
  trackHumanMessage,
} from 'agentsight-otel';

const [deliveryThread = 'default'] = process.argv.slice(2);

async function turn(n: number): Promise<number> {
  trackConversation({ conversationId: `cold-${process.pid}` }, () => {
    trackHumanMessage(`question ${n}`);
    trackAction({ name: 'lookup' }, () => 'found');
    return `answer ${n}`;
  });
  const started = performance.now();
  const summary = await flushAgentSight({ timeoutMillis: 30_000 });
  if (summary.stillQueued > 0 || Object.keys(summary.dropped).length > 0 || summary.delivered !== 3)
    throw new Error(JSON.stringify(summary));
  return performance.now() - started;
}

async function main(): Promise<void> {
  const processor = new AgentSightSpanProcessor({
    apiKey: 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3',
    ...(deliveryThread === 'default' ? {} : { deliveryThread: deliveryThread === 'thread' }),
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [processor] }));
  const cold = await turn(1);
  const warm = await turn(2);
  const warmAgain = await turn(3);
  process.stdout.write(`${JSON.stringify({ cold, warm: Math.min(warm, warmAgain) })}\n`);
  await processor.shutdown();
}

void main();
