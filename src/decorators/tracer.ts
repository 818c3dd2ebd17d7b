import { type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { AGENTSIGHT_INSTRUMENTATION_SCOPE } from '../semconv/values';
import { AGENTSIGHT_OTEL_VERSION } from '../version';

let cachedProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/**
 * The tracer, resolved at call time: decorators are evaluated when a class is defined, usually
 * before the SDK starts, and tests swap providers. The global provider object only changes when
 * one is registered or the API is disabled, so caching on its identity keeps the lookup to one
 * comparison per call.
 */
export function currentTracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (provider !== cachedProvider || cachedTracer === undefined) {
    cachedTracer = provider.getTracer(AGENTSIGHT_INSTRUMENTATION_SCOPE, AGENTSIGHT_OTEL_VERSION);
    cachedProvider = provider;
  }
  return cachedTracer;
}
