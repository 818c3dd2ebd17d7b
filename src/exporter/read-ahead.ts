import type { FinishedSpan } from '../common/sdk-shapes';
import { type GenAiRead, readGenAiItems } from '../mapping/genai/genai-items';
import { longGenAiSpans, type MappingOptions } from '../mapping/mapping';

/**
 * How long one slice of reading ahead may hold the application's thread before it lets the event
 * loop run. One 2 MB history takes ~4 ms to parse and digest here, so a slice is one or two of them.
 */
const SLICE_MILLIS = 8;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Reads the long GenAI spans of one export (their message lists parsed, their histories digested)
 * in slices of at most {@link SLICE_MILLIS} between turns of the event loop, for the mapping to
 * take (`genAiReadAhead`). Issue 30: one export of 64 calls with 2 MB histories blocked the
 * application for 283 ms, 128 of 0.5 MB for 155 ms. Never throws: a span that cannot be read here
 * is read (and reported) by the mapping.
 */
export async function readAheadInSlices(
  spans: readonly FinishedSpan[],
  options: MappingOptions,
  long: readonly [FinishedSpan, string][] = longGenAiSpans(spans, options),
): Promise<Map<FinishedSpan, GenAiRead | string>> {
  const read = new Map<FinishedSpan, GenAiRead | string>();
  let sliceStarted = performance.now();
  for (const [span, conversationId] of long) {
    if (performance.now() - sliceStarted > SLICE_MILLIS) {
      await nextTurn();
      sliceStarted = performance.now();
    }
    try {
      read.set(span, readGenAiItems(span, conversationId, options));
    } catch {
      // Left to the mapping, which reports it.
    }
  }
  return read;
}
