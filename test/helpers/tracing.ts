import { context, propagation, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

/** A real SDK pipeline (NodeTracerProvider with its AsyncLocalStorage context manager) that keeps spans in memory. */
export interface TestTracing {
  readonly exporter: InMemorySpanExporter;
  readonly provider: NodeTracerProvider;
  /** Finished spans so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** Finished spans with this name. */
  named(name: string): ReadableSpan[];
  /** The one finished span with this name (fails if there is not exactly one). */
  one(name: string): ReadableSpan;
}

/** Registers a fresh global provider; call `stopTracing` to take it down. */
export function startTracing(extraProcessors: SpanProcessor[] = []): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [...extraProcessors, new SimpleSpanProcessor(exporter)] });
  provider.register();
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s) => s.name === name);
  return {
    exporter,
    provider,
    spans,
    named,
    one(name) {
      const found = named(name);
      if (found.length !== 1) {
        throw new Error(
          `expected one span named "${name}", found ${found.length}: ${spans()
            .map((s) => s.name)
            .join(', ')}`,
        );
      }
      return found[0] as ReadableSpan;
    },
  };
}

/** Unregisters the global provider, context manager and propagator, and shuts the provider down. */
export async function stopTracing(tracing: TestTracing): Promise<void> {
  trace.disable();
  context.disable();
  propagation.disable();
  await tracing.provider.shutdown();
}

/** Mocha hooks: a fresh pipeline per test, available through the returned getter. */
export function useTracing(extraProcessors: () => SpanProcessor[] = () => []): () => TestTracing {
  let current: TestTracing | undefined;
  beforeEach(() => {
    current = startTracing(extraProcessors());
  });
  afterEach(async () => {
    if (current) await stopTracing(current);
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('tracing is only available inside a test');
    return current;
  };
}
