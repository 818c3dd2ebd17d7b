import { processWide } from '../common/process-wide';
import type { DropReason } from '../delivery/delivery-stats';

/** What {@link flushAgentSight} flushes: one per AgentSight processor or exporter alive, of any copy of the package. */
export interface Flushable {
  /** Hands over what is gathered and waits for delivery; may reject with what was lost. */
  forceFlush(): Promise<void>;
  /** The counters, for what was delivered meanwhile and what is still queued. */
  stats(): { readonly delivered: number; readonly queuedItems: number };
}

/** Every processor and exporter of the process, whatever copy of the package made it. */
const flushables = processWide('flushables', () => new Set<Flushable>());

/**
 * Adds a processor or exporter to what {@link flushAgentSight} flushes.
 * @returns the function that takes it out again (at shutdown)
 * @internal
 */
export function registerFlushable(flushable: Flushable): () => void {
  flushables.add(flushable);
  return () => flushables.delete(flushable);
}

/** Options of {@link flushAgentSight}. */
export interface FlushOptions {
  /** The most it waits, in ms (default 5,000; 2,000 on AWS Lambda, whose default timeout is 3 s). */
  readonly timeoutMillis?: number;
}

/** What {@link flushAgentSight} found. */
export interface FlushSummary {
  /** AgentSight processors and exporters flushed (of every copy of the package in the process). */
  readonly flushed: number;
  /** Items delivered while it ran. */
  readonly delivered: number;
  /** Items lost since each one's previous flush, by reason. */
  readonly dropped: Partial<Record<DropReason, number>>;
  /** Items still queued when it returned. */
  readonly stillQueued: number;
  /** True when `timeoutMillis` came before every flush ended. */
  readonly timedOut: boolean;
}

/** A flush's rejection, read by its shape: the error may come from another copy of the package. */
function dropsOf(error: unknown): Partial<Record<DropReason, number>> {
  const dropped = (error as { dropped?: unknown } | null)?.dropped;
  return typeof dropped === 'object' && dropped !== null ? (dropped as Partial<Record<DropReason, number>>) : {};
}

function delivered(flushable: Flushable): number {
  try {
    return flushable.stats().delivered;
  } catch {
    return 0;
  }
}

/**
 * Flushes every AgentSight processor and exporter in the process, whatever copy of the package
 * created it (a Next.js route's bundle, the CJS and ESM builds): what a route, a Lambda handler or
 * an `after()` callback calls before the platform freezes the function, with no processor to
 * reach. Resolves by `timeoutMillis` at the latest with what was delivered and lost; never rejects
 * (telemetry never fails the request).
 *
 * @example
 * ```ts
 * import { after } from 'next/server';
 * after(() => flushAgentSight({ timeoutMillis: 2_000 }));
 * ```
 */
export async function flushAgentSight(options: FlushOptions = {}): Promise<FlushSummary> {
  const timeoutMillis = options.timeoutMillis ?? (process.env.LAMBDA_TASK_ROOT === undefined ? 5_000 : 2_000);
  const all = [...flushables];
  const before = all.map(delivered);
  const dropped: Partial<Record<DropReason, number>> = {};
  const flushes = all.map((flushable) =>
    Promise.resolve()
      .then(() => flushable.forceFlush())
      .catch((error: unknown) => {
        for (const [reason, count] of Object.entries(dropsOf(error)) as [DropReason, number][]) {
          if (typeof count === 'number') dropped[reason] = (dropped[reason] ?? 0) + count;
        }
      }),
  );
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      resolve();
    }, timeoutMillis);
  });
  await Promise.race([Promise.all(flushes), deadline]);
  clearTimeout(timer);
  let stillQueued = 0;
  let deliveredNow = 0;
  all.forEach((flushable, index) => {
    deliveredNow += delivered(flushable) - (before[index] as number);
    try {
      stillQueued += flushable.stats().queuedItems;
    } catch {
      // A flushable that cannot say: nothing counted for it.
    }
  });
  return { flushed: all.length, delivered: deliveredNow, dropped, stillQueued, timedOut };
}
