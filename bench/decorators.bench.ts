/**
 * `npm run bench -- decorators`: what `@TrackAction` costs per call, next to the same span
 * written by hand with the bare OTel API (same name, kind and attributes, values serialised with
 * `JSON.stringify`), in every configuration: sync and async, outside and inside a conversation,
 * standard and legacy decorators, with and without static `toolsUsed` / `metadata`; and the
 * functional `trackAction`. Target: at most 1.15× the hand-written span everywhere. The peers
 * (OpenInference, Langfuse, OpenLLMetry) are measured by `peers.bench.ts` in the same way.
 */
import { type Attributes, context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { trackAction, trackConversation } from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { compare, compareAsync } from './harness';

type ToolsModule = typeof import('./decorated/tools');

/** Counts ended spans: keeps spans recording without export costs muddying the comparison. */
export class CountingProcessor implements SpanProcessor {
  ended = 0;
  onStart(): void {}
  onEnd(_span: ReadableSpan): void {
    this.ended += 1;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const ACTION_ATTRIBUTES: Attributes = {
  [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: 'action',
  [semconv.ATTR_AGENTSIGHT_ACTION_NAME]: 'lookup',
  [semconv.ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
  [semconv.ATTR_GEN_AI_TOOL_NAME]: 'lookup',
};

/** The attributes a careful user sets by hand around the call: values through JSON.stringify. */
function setByHand(
  span: Span,
  tools: ToolsModule,
  sku: string,
  conversation: Attributes | undefined,
  withOptions: boolean,
) {
  if (conversation) span.setAttributes(conversation);
  if (withOptions) {
    span.setAttribute(semconv.ATTR_AGENTSIGHT_ACTION_TOOLS_USED, JSON.stringify(tools.TOOLS_USED));
    span.setAttribute(semconv.ATTR_AGENTSIGHT_ACTION_METADATA, JSON.stringify(tools.METADATA));
  }
  span.setAttribute(semconv.ATTR_AGENTSIGHT_ACTION_ARGUMENTS, JSON.stringify([sku]));
}

/** The error path a careful user writes: the exception, ERROR status, rethrown. */
function recordFailure(span: Span, error: unknown): never {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
  throw error;
}

/** What a careful user writes without the library: the same span, sync. */
export function handWritten(
  tools: ToolsModule,
  sku: string,
  conversation: Attributes | undefined,
  withOptions: boolean,
) {
  return trace
    .getTracer('bench-hand-written')
    .startActiveSpan(
      'execute_tool lookup',
      { kind: SpanKind.INTERNAL, attributes: ACTION_ATTRIBUTES },
      (span: Span) => {
        try {
          setByHand(span, tools, sku, conversation, withOptions);
          const result = tools.lookup(sku);
          span.setAttribute(semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE, result);
          return result;
        } catch (error) {
          return recordFailure(span, error);
        } finally {
          span.end();
        }
      },
    );
}

/** The async shape by hand: the response is recorded when the promise settles. */
export function handWrittenAsync(
  tools: ToolsModule,
  sku: string,
  conversation: Attributes | undefined,
  withOptions: boolean,
) {
  return trace
    .getTracer('bench-hand-written')
    .startActiveSpan(
      'execute_tool lookup',
      { kind: SpanKind.INTERNAL, attributes: ACTION_ATTRIBUTES },
      async (span: Span) => {
        try {
          setByHand(span, tools, sku, conversation, withOptions);
          const result = await Promise.resolve(tools.lookup(sku));
          span.setAttribute(semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE, result);
          return result;
        } catch (error) {
          return recordFailure(span, error);
        } finally {
          span.end();
        }
      },
    );
}

/** One row of the summary. */
export interface DecoratorRow {
  readonly configuration: string;
  readonly handWrittenNs: number;
  readonly oursNs: number;
}

const SKU = 'SKU-12345';

async function measure(
  rows: DecoratorRow[],
  conversation: Attributes | undefined,
  where: string,
  modules: readonly [string, ToolsModule][],
): Promise<void> {
  for (const [mode, tools] of modules) {
    const instance = new tools.Tools();
    for (const withOptions of [false, true]) {
      const label = `${where}, ${mode}, ${withOptions ? 'toolsUsed + metadata' : 'no options'}`;
      const sync = await compare([
        { name: 'hand', run: () => handWritten(tools, SKU, conversation, withOptions) },
        { name: 'ours', run: () => (withOptions ? instance.syncWithOptions(SKU) : instance.sync(SKU)) },
      ]);
      rows.push({
        configuration: `sync,  ${label}`,
        handWrittenNs: sync[0]?.nsPerOp ?? 0,
        oursNs: sync[1]?.nsPerOp ?? 0,
      });
      const async = await compareAsync([
        { name: 'hand', run: () => handWrittenAsync(tools, SKU, conversation, withOptions) },
        { name: 'ours', run: () => (withOptions ? instance.asyncWithOptions(SKU) : instance.async(SKU)) },
      ]);
      rows.push({
        configuration: `async, ${label}`,
        handWrittenNs: async[0]?.nsPerOp ?? 0,
        oursNs: async[1]?.nsPerOp ?? 0,
      });
    }
  }
  const standard = (modules[0] as [string, ToolsModule])[1];
  const functional = await compare([
    { name: 'hand', run: () => handWritten(standard, SKU, conversation, false) },
    { name: 'ours', run: () => trackAction('lookup', () => standard.lookup(SKU)) },
  ]);
  rows.push({
    configuration: `sync,  ${where}, functional trackAction`,
    handWrittenNs: functional[0]?.nsPerOp ?? 0,
    oursNs: functional[1]?.nsPerOp ?? 0,
  });
}

/** Prints rows as a table of ns/op and ratios. */
export function printRows(title: string, rows: readonly DecoratorRow[], target: number): void {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((r) => r.configuration.length));
  console.log(`  ${'configuration'.padEnd(width)}  hand-written        ours   ratio`);
  for (const row of rows) {
    const ratio = row.oursNs / row.handWrittenNs;
    console.log(
      `  ${row.configuration.padEnd(width)}  ${row.handWrittenNs.toFixed(0).padStart(9)} ns ${row.oursNs.toFixed(0).padStart(8)} ns   ${ratio.toFixed(2)}×${ratio > target ? '  over target' : ''}`,
    );
  }
}

/** Runs every configuration and prints the table. */
export async function benchDecorators(): Promise<DecoratorRow[]> {
  const provider = new NodeTracerProvider({ spanProcessors: [new CountingProcessor()] });
  provider.register();
  const modules: [string, ToolsModule][] = [
    ['standard', require('./decorated/tools') as ToolsModule],
    ['legacy  ', require('../bench-legacy/tools') as ToolsModule],
  ];
  const rows: DecoratorRow[] = [];
  await measure(rows, undefined, 'outside', modules);
  await trackConversation(
    { conversationId: 'conv_bench', customerId: 'u-1', source: 'api', device: 'desktop', name: 'Bench' },
    async () => {
      // The attributes the library stamps, so that the hand-written span sets the same ones.
      const conversation = context
        .active()
        .getValue(Symbol.for(semconv.AGENTSIGHT_CONTEXT_KEY_CONVERSATION)) as Attributes;
      await measure(rows, conversation, 'inside ', modules);
    },
  );
  printRows('@TrackAction vs the same span by hand (median of interleaved rounds; target ≤ 1.15×)', rows, 1.15);
  trace.disable();
  context.disable();
  propagation.disable();
  await provider.shutdown();
  return rows;
}
