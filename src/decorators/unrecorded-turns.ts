import { type Context, isSpanContextValid, type Span, trace } from '@opentelemetry/api';
import { AGENTSIGHT_GLOBAL_KEY_UNRECORDED_TURN_LISTENERS } from '../semconv/values';

const LISTENERS = Symbol.for(AGENTSIGHT_GLOBAL_KEY_UNRECORDED_TURN_LISTENERS);

/**
 * Tells the listening processors when a conversation turn's span was not recorded because the
 * application's sampler dropped it, so the loss is counted and reported. A span the API's no-op
 * tracer made (no SDK registered) is not a loss: it has no span id of its own.
 */
export function noticeUnrecordedTurn(span: Span, parent: Context): void {
  if (span.isRecording()) return;
  const listeners = (globalThis as Record<symbol, Set<() => void> | undefined>)[LISTENERS];
  if (listeners === undefined || listeners.size === 0) return;
  const own = span.spanContext();
  if (!isSpanContextValid(own) || trace.getSpanContext(parent)?.spanId === own.spanId) return;
  for (const listener of listeners) {
    try {
      listener();
    } catch {
      // A listener's failure is its own; the user's call goes on.
    }
  }
}
