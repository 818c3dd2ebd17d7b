/**
 * Exporter benchmarks: mapping throughput (pure, spans/s) and requests per turn. Delivery is
 * measured by `delivery-latency.bench.ts`, which shares the helpers exported here.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { trackAction, trackAgentMessage, trackConversation, trackHumanMessage, trackTokenUsage } from 'agentsight-otel';
import { GenAiHistory } from '#internal/mapping/genai/genai-history';
import { toConversationPlans } from '#internal/mapping/mapping';
import { onCpu } from './cpu-pinning';

/** The key the benchmarks' receivers accept. */
export const API_KEY = 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3';

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
export function makeSpans(turns: number, conversations: number, prefix = 'bench'): ReadableSpan[] {
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

/**
 * Spans of `turns` zero-code turns over `conversations` conversations, as the Vercel AI SDK 7
 * reports them (../shared/genai-notes.md): an agent span naming the conversation, then a call
 * that asks for a tool, the tool, and a call that answers; every call carries the whole history.
 */
export function makeGenAiSpans(turns: number, conversations: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  provider.register();
  const tracer = trace.getTracer('bench-genai');
  const histories = new Map<string, object[]>();
  const text = (role: string, content: string) => ({ role, parts: [{ type: 'text', content }] });
  const span = (name: string, attributes: Record<string, string | number>, inside?: () => void) => {
    const s = tracer.startSpan(name, { attributes });
    if (inside) context.with(trace.setSpan(context.active(), s), inside);
    s.end();
  };
  for (let i = 0; i < turns; i++) {
    const conversationId = `genai-${i % conversations}`;
    const history = histories.get(conversationId) ?? [text('system', 'You are a stock assistant.')];
    const asked = [...history, text('user', `question ${i}: what is the stock of SKU-${i}?`)];
    const call = {
      role: 'assistant',
      parts: [{ type: 'tool_call', id: `call-${i}`, name: 'lookup', arguments: { sku: i } }],
    };
    const withTool = [
      ...asked,
      call,
      { role: 'tool', parts: [{ type: 'tool_call_response', id: `call-${i}`, response: 12 }] },
    ];
    const answer = text('assistant', `SKU-${i} has 12 units in stock.`);
    span(
      'invoke_agent gpt',
      { 'gen_ai.operation.name': 'invoke_agent', 'ai.settings.context.conversationId': conversationId },
      () => {
        span('chat gpt', {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': JSON.stringify(asked),
          'gen_ai.output.messages': JSON.stringify([call]),
          'gen_ai.usage.input_tokens': 100,
          'gen_ai.usage.output_tokens': 10,
        });
        span('execute_tool lookup', {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'lookup',
          'gen_ai.tool.call.id': `call-${i}`,
          'gen_ai.tool.call.arguments': JSON.stringify({ sku: i }),
          'gen_ai.tool.call.result': '12',
        });
        span('chat gpt', {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': JSON.stringify(withTool),
          'gen_ai.output.messages': JSON.stringify([{ ...answer, finish_reason: 'stop' }]),
          'gen_ai.usage.input_tokens': 120,
          'gen_ai.usage.output_tokens': 20,
        });
      },
    );
    histories.set(conversationId, [...withTool, answer]);
  }
  const spans = memory.getFinishedSpans();
  trace.disable();
  context.disable();
  propagation.disable();
  return spans;
}

/** Starts the receiver CLI in its own process (extra CLI arguments, e.g. `--latency 100`). */
export async function startReceiverProcess(
  extra: string[] = [],
  cpu?: number,
): Promise<{ url: string; child: ChildProcess }> {
  const cli = require.resolve('agentsight-otel/package.json').replace(/package\.json$/, 'dist/cjs/cli.js');
  const [command, ...args] = onCpu(
    [process.execPath, cli, 'dev-server', '--port', '0', '--quiet', '--api-key', API_KEY, ...extra],
    cpu,
  );
  const child = spawn(command as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
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

/** The median of some measurements. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Mapping throughput: spans mapped per second (median of rounds); `genAi` maps zero-code spans. */
function benchMapping(spans: ReadableSpan[], genAi = false): number {
  // A fresh memory each round: every round maps every message, as the first reading does.
  const options = () => ({
    environment: 'development',
    maxFieldLength: 32_768,
    genAi,
    genAiHistory: new GenAiHistory(),
  });
  for (let i = 0; i < 5; i++) toConversationPlans(spans, options());
  const rates: number[] = [];
  for (let round = 0; round < 15; round++) {
    const start = process.hrtime.bigint();
    toConversationPlans(spans, options());
    rates.push(spans.length / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return median(rates);
}
/** Runs the exporter benchmarks and prints them. */
export async function benchExporter(): Promise<void> {
  const spans = makeSpans(5_000, 500);
  const mapping = benchMapping(spans);
  console.log('\nExporter: mapping (pure, no I/O)');
  console.log(
    `  toConversationPlans   ${Math.round(mapping).toLocaleString('en')} spans/s  (${spans.length} spans, target ≥ 200,000)`,
  );
  const genAiSpans = makeGenAiSpans(5_000, 500);
  const genAi = benchMapping(genAiSpans, true);
  console.log(
    `  zero code (GenAI)     ${Math.round(genAi).toLocaleString('en')} spans/s  (${genAiSpans.length} Vercel AI SDK-shaped spans, history up to 41 messages a call; ${(genAi / mapping).toFixed(2)}× the decorated spans' rate)`,
  );

  const { plans } = toConversationPlans(spans, { environment: 'development', maxFieldLength: 32_768 });
  const requests = plans.reduce((sum, plan) => sum + 1 + plan.items.length, 0);
  console.log(
    `  requests per turn     ${(requests / 5_000).toFixed(2)} (records of 500 conversations included; AgentSight has no batch endpoint)`,
  );
}
