import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from './answers';
import type { Fault } from './faults';

/** One request as the receiver saw it, accepted or not. */
export interface SeenRequest {
  /** HTTP method. */
  readonly method: string;
  /** Path, without the query. */
  readonly path: string;
  /** Status answered; 0 when the connection was cut instead. */
  readonly status: number;
  /** The Idempotency-Key header, if any. */
  readonly idempotencyKey: string | undefined;
  /** True when the answer was replayed for a repeated Idempotency-Key. */
  readonly replayed: boolean;
  /** The fault applied to this request, if any. */
  readonly fault: Fault | undefined;
  /** The error body sent, for rejected requests. */
  readonly error: unknown;
  /** When it arrived (epoch ms). */
  readonly at: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One request and its answer: what it asked, the fault applied to it, and the line it leaves in the
 * request log (written once, when it is answered or cut).
 */
export class Exchange {
  /** Concatenated, not resolved: a path like //api/x must stay a path, not become a host. */
  readonly url: URL;
  readonly method: string;
  readonly idempotencyKey: string | undefined;
  readonly at = Date.now();
  fault: Fault | undefined;
  replayed = false;

  constructor(
    readonly request: IncomingMessage,
    readonly response: ServerResponse,
    private readonly log: SeenRequest[],
  ) {
    this.url = new URL(`http://localhost${request.url ?? '/'}`);
    this.method = request.method ?? 'GET';
    this.idempotencyKey = request.headers['idempotency-key'] as string | undefined;
  }

  /** The request's path. */
  get path(): string {
    return this.url.pathname;
  }

  /** Writes the request's line in the log: `status` 0 for a connection cut or held unanswered. */
  record(status: number, error?: unknown): void {
    const { method, path, idempotencyKey, replayed, fault, at } = this;
    this.log.push({ method, path, status, idempotencyKey, replayed, fault, error, at });
  }

  /** Cuts the connection without an answer. */
  cut(): void {
    this.record(0);
    this.request.socket.destroy();
  }

  /**
   * Answers (after the fault's delay and the API latency, or cuts the connection if the fault
   * says so). A string body is HTML (the page), anything else JSON.
   */
  async answer(result: Answer, apiLatencyMs: number): Promise<void> {
    this.record(result.status, result.status >= 400 ? result.body : undefined);
    const delay = (this.fault?.delayMs ?? 0) + (this.path.startsWith('/api/') ? apiLatencyMs : 0);
    if (delay > 0) await sleep(delay);
    if (this.fault?.reset) {
      this.request.socket.destroy();
      return;
    }
    const text = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
    if (this.response.destroyed) return;
    this.response.writeHead(result.status, {
      'content-type': typeof result.body === 'string' ? 'text/html; charset=utf-8' : 'application/json',
      ...result.headers,
    });
    this.response.end(text);
  }
}
