/**
 * The application of `npm run bench -- turn-cpu`, one process per run: an OpenTelemetry set-up
 * (BasicTracerProvider, a BatchSpanProcessor to an exporter that drops everything) running paced
 * chat turns, each a conversation turn with two LLM spans (token usage), a tool call, and the
 * user's and agent's messages. What it adds on top, by the first argument:
 * - `otel`: nothing (OpenTelemetry alone: the same spans, made by hand);
 * - `agentsight`: AgentSightSpanProcessor with its defaults (delivery thread), to AGENTSIGHT_API_ENDPOINT;
 * - `agentsight-main`: the same with `deliveryThread: false` (delivery on the app's thread);
 * - `bare`: a bare keep-alive undici client sending, from the same process, the requests the
 *   turn makes at AgentSight (the record once per conversation, then four items), in order;
 * - `floor`: the same requests by `FloorClient` (HTTP/1.1 by hand on kept-alive sockets), the least
 *   a Node process can spend on them;
 * - `bridge`: no AgentSight code but the decorators; a second BatchSpanProcessor sends the spans
 *   as OTLP/HTTP protobuf to the bridge at AGENTSIGHT_BRIDGE_URL, which delivers from its own
 *   process (the Collector path, without the Collector). A failed export fails the run.
 * Prints `result {"cpuMicros":…,"turns":…}`: the whole process's CPU (all threads) for the turns.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  AgentSightSpanProcessor,
  trackAction,
  trackAgentMessage,
  trackConversation,
  trackHumanMessage,
} from 'agentsight-otel';
import { Pool } from 'undici';
import { FloorClient } from './floor-client';

const [mode = 'otel', turnsArg = '3000', paceArg = '2'] = process.argv.slice(2);
const TURNS = Number(turnsArg);
const PACE_MS = Number(paceArg);
const CONVERSATIONS = 300;
const KEY = process.env.AGENTSIGHT_API_KEY ?? '';
const ENDPOINT = process.env.AGENTSIGHT_API_ENDPOINT ?? '';

const dropAll: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

/** The bridge's OTLP exporter, counting failed exports (a run with any fails: nothing was measured). */
let failedExports = 0;
const otlp = new OTLPTraceExporter({
  url: `${process.env.AGENTSIGHT_BRIDGE_URL ?? ''}/v1/traces`,
  headers: { authorization: `Bearer ${process.env.AGENTSIGHT_BRIDGE_TOKEN ?? ''}` },
});
const toBridge: SpanExporter = {
  export: (spans, done) =>
    otlp.export(spans, (result) => {
      if (result.code !== 0) failedExports += 1;
      done(result);
    }),
  shutdown: () => otlp.shutdown(),
  forceFlush: () => otlp.forceFlush(),
};

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const agentsight = mode.startsWith('agentsight')
  ? new AgentSightSpanProcessor({ deliveryThread: mode !== 'agentsight-main' })
  : undefined;
const provider = new BasicTracerProvider({
  spanProcessors: [
    new BatchSpanProcessor(dropAll),
    ...(agentsight ? [agentsight] : []),
    ...(mode === 'bridge' ? [new BatchSpanProcessor(toBridge)] : []),
  ],
});
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('turn-cpu');

/** The bare client: the same requests, in the same order, kept alive, nothing else. */
const pool = mode === 'bare' ? new Pool(new URL(ENDPOINT).origin, { connections: 16 }) : undefined;
const floor =
  mode === 'floor'
    ? new FloorClient(
        ENDPOINT,
        `host: ${new URL(ENDPOINT).host}\r\ncontent-type: application/json\r\nauthorization: Api-Key ${KEY}\r\n`,
      )
    : undefined;
const created = new Map<string, number>();
const inFlight = new Set<Promise<void>>();
const headers = { 'content-type': 'application/json', authorization: `Api-Key ${KEY}` };
/** POSTs one item; resolves with the backend id the answer carries. */
async function post(path: string, body: object): Promise<number> {
  if (floor !== undefined) return Number(/"id":(\d+)/.exec(await floor.post(path, JSON.stringify(body)))?.[1]);
  const answer = await (pool as Pool).request({ path, method: 'POST', headers, body: JSON.stringify(body) });
  return (JSON.parse(await answer.body.text()) as { id: number }).id;
}
async function bareTurn(conversationId: string, turn: number): Promise<void> {
  const at = new Date().toISOString().replace('Z', '000+00:00');
  let pk = created.get(conversationId);
  if (pk === undefined) {
    pk = await post('/api/conversations/', {
      timestamp: at,
      conversation_id: conversationId,
      is_used: true,
      environment: 'development',
    });
    created.set(conversationId, pk);
  }
  const base = { timestamp: at, conversation_id: conversationId, conversation: pk };
  await post('/api/track/', { ...base, content: `question ${turn}`, sender: 'end_user', metadata: {} });
  await post('/api/action_logs/', { ...base, action_name: 'lookup', metadata: {}, response: 'found' });
  await post('/api/action_logs/', {
    ...base,
    action_name: 'token_usage',
    metadata: { prompt_tokens: 80, completion_tokens: 20, total_tokens: 100, embedding_tokens: 0 },
  });
  await post('/api/track/', { ...base, content: `answer ${turn}`, sender: 'agent', metadata: {} });
}

function llmCall(): void {
  const span = tracer.startSpan('chat model');
  span.setAttributes({ 'gen_ai.usage.input_tokens': 40, 'gen_ai.usage.output_tokens': 10 });
  span.end();
}

/** The turn with OpenTelemetry alone: the same spans, made by hand, without AgentSight. */
function plainTurn(index: number): void {
  const span = tracer.startSpan('invoke_agent chat');
  context.with(trace.setSpan(context.active(), span), () => {
    tracer.startSpan('agentsight.human_message').end();
    llmCall();
    tracer.startSpan('execute_tool lookup').end();
    llmCall();
    tracer.startSpan('agentsight.agent_message').end();
  });
  span.end();
  void index;
}

function turn(index: number): void {
  const conversationId = `bench-${index % CONVERSATIONS}`;
  if (!mode.startsWith('agentsight') && mode !== 'bridge') {
    plainTurn(index);
    if (mode === 'bare' || mode === 'floor') {
      const sent = bareTurn(conversationId, index);
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
    }
    return;
  }
  trackConversation({ conversationId }, () => {
    trackHumanMessage(`question ${index}`);
    llmCall();
    trackAction({ name: 'lookup' }, () => 'found');
    llmCall();
    trackAgentMessage(`answer ${index}`);
  });
}

async function main(): Promise<void> {
  // Warm-up turns, not measured.
  for (let i = 0; i < 200; i++) turn(TURNS + i);
  await agentsight?.forceFlush().catch(() => undefined);
  await Promise.all(inFlight);
  if (mode === 'bridge') await provider.forceFlush();
  const before = process.cpuUsage();
  for (let i = 0; i < TURNS; i++) {
    turn(i);
    if (PACE_MS > 0) await new Promise((resolve) => setTimeout(resolve, PACE_MS));
  }
  await agentsight?.forceFlush().catch(() => undefined);
  await Promise.all(inFlight);
  await provider.forceFlush();
  const used = process.cpuUsage(before);
  if (failedExports > 0) throw new Error(`${failedExports} exports to the bridge failed`);
  process.stdout.write(`result ${JSON.stringify({ cpuMicros: used.user + used.system, turns: TURNS })}\n`);
  await agentsight?.shutdown().catch(() => undefined);
  await pool?.close();
  floor?.close();
}

void main();
