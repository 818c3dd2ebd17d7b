import { type Context, trace } from '@opentelemetry/api';

/** What Vercel's request context gives (`@vercel/functions` reads the same global). */
interface VercelRequestContext {
  get?(): { waitUntil?: (promise: Promise<unknown>) => void } | undefined;
}

/** The global through which Vercel exposes each request's context, as `@vercel/otel` reads it. */
const VERCEL_REQUEST_CONTEXT = Symbol.for('@vercel/request-context');

/** The platform's `waitUntil` for the request running now, or undefined (not on Vercel, or no request). */
function platformWaitUntil(): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const holder = (globalThis as { [VERCEL_REQUEST_CONTEXT]?: VercelRequestContext })[VERCEL_REQUEST_CONTEXT];
    const waitUntil = holder?.get?.()?.waitUntil;
    return typeof waitUntil === 'function' ? waitUntil : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks the platform to keep a function alive until what a request recorded is delivered: when a
 * root span starts inside a request of a platform that offers `waitUntil` (Vercel's request
 * context, what `@vercel/otel` uses), the platform is handed a promise that settles once that span
 * has ended and `flush` has run (at most `capMillis` after the end). So a Vercel function is not
 * frozen with its turn still queued, whether the app set up OpenTelemetry with `registerOTel` or
 * `NodeSDK`, and without a `flushAgentSight()` of its own. Elsewhere it does nothing.
 */
export class PlatformWait {
  private readonly roots = new Map<string, () => void>();

  constructor(
    private readonly flush: () => Promise<unknown>,
    private readonly capMillis: number,
  ) {}

  /** A span started: a root inside a platform request is waited for. */
  started(spanId: string, parentContext: Context): void {
    // The request's first span in this process: no parent, or a remote one (Vercel's proxy sends
    // a traceparent with the request).
    const parent = trace.getSpanContext(parentContext);
    if ((parent !== undefined && parent.isRemote !== true) || this.roots.size >= 1_000) return;
    const waitUntil = platformWaitUntil();
    if (waitUntil === undefined) return;
    const ended = new Promise<void>((resolve) => this.roots.set(spanId, resolve));
    const delivered = ended.then(() =>
      Promise.race([
        this.flush().catch(() => undefined), // losses are counted and said by the exporter
        new Promise((resolve) => setTimeout(resolve, this.capMillis).unref()),
      ]),
    );
    try {
      waitUntil(delivered);
    } catch {
      this.roots.delete(spanId); // the platform refused: nothing to wait for
    }
  }

  /** A span ended: if it was a waited root, its flush starts. */
  ended(spanId: string): void {
    const resolve = this.roots.get(spanId);
    if (resolve === undefined) return;
    this.roots.delete(spanId);
    resolve();
  }
}
