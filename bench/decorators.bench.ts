/**
 * What `@TrackAction` costs per call, next to the same span written by hand with the bare OTel API
 * (same name, kind and attributes) and next to a plain call. Target: at most 1.25× hand-written.
 */
import { type Attributes, context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { NodeTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-node';
import { TrackAction, trackConversation } from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { type BenchResult, compare, report } from './harness';

/** Counts ended spans: keeps spans recording without export costs muddying the comparison. */
class CountingProcessor implements SpanProcessor {
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

function lookup(sku: string): string {
  return `stock:${sku.length}`;
}

class Inventory {
  plain(sku: string): string {
    return lookup(sku);
  }

  @TrackAction('lookup')
  tracked(sku: string): string {
    return lookup(sku);
  }
}

/** The same span by hand: what a careful user would write without the library. */
function handWritten(sku: string, conversation: Attributes | undefined): string {
  const tracer = trace.getTracer('bench-hand-written');
  return tracer.startActiveSpan(
    'execute_tool lookup',
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: 'action',
        [semconv.ATTR_AGENTSIGHT_ACTION_NAME]: 'lookup',
        [semconv.ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
        [semconv.ATTR_GEN_AI_TOOL_NAME]: 'lookup',
      },
    },
    (span: Span) => {
      try {
        if (conversation) span.setAttributes(conversation);
        span.setAttribute(semconv.ATTR_AGENTSIGHT_ACTION_ARGUMENTS, JSON.stringify([sku]));
        const result = lookup(sku);
        span.setAttribute(semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE, result);
        return result;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** Runs the comparison outside and inside a conversation turn; returns the ratios for the summary. */
export async function benchDecorators(): Promise<{ outside: BenchResult[]; inside: BenchResult[] }> {
  const processor = new CountingProcessor();
  const provider = new NodeTracerProvider({ spanProcessors: [processor] });
  provider.register();
  const inventory = new Inventory();
  const sku = 'SKU-12345';

  const outside = await compare([
    { name: 'plain call', run: () => inventory.plain(sku) },
    { name: 'hand-written span', run: () => handWritten(sku, undefined) },
    { name: '@TrackAction', run: () => inventory.tracked(sku) },
  ]);
  report('@TrackAction outside a conversation (sync method, 6 attributes)', outside, 'hand-written span');

  // Inside a turn every action span also carries the conversation's attributes.
  const inside = await trackConversation(
    { conversationId: 'conv_bench', customerId: 'u-1', source: 'api', device: 'desktop', name: 'Bench' },
    async () => {
      // The attributes the library stamps, so that the hand-written span sets the same ones.
      const conversation = context
        .active()
        .getValue(Symbol.for(semconv.AGENTSIGHT_CONTEXT_KEY_CONVERSATION)) as Attributes;
      return compare([
        { name: 'plain call', run: () => inventory.plain(sku) },
        { name: 'hand-written span', run: () => handWritten(sku, conversation) },
        { name: '@TrackAction', run: () => inventory.tracked(sku) },
      ]);
    },
  );
  report('@TrackAction inside a conversation turn (sync method, 13 attributes)', inside, 'hand-written span');

  trace.disable();
  context.disable();
  propagation.disable();
  await provider.shutdown();
  return { outside, inside };
}
