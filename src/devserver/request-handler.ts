import { createReadStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { type Answer, detail, readJsonBody } from './answers';
import { API_KEY_PATTERN } from './contract';
import type { Exchange, SeenRequest } from './exchange';
import { FaultScript } from './faults';
import type { SpooledFile } from './file-spool';
import { manage } from './manage-routes';
import { MultipartError, readMultipart } from './multipart';
import { renderPage } from './page';
import { read } from './read-routes';
import type { ReceiverState } from './receiver-state';
import { track } from './tracking-routes';
import { uploadMultipart } from './upload-routes';

/**
 * The receiver's front desk: the page and the files, then for the API the switches a test turns
 * (hanging, latency, scripted faults), authentication, the routes, and replays of a repeated
 * Idempotency-Key. The routes themselves live in their own modules.
 */
export class RequestHandler {
  /** Every request seen, in arrival order. */
  readonly requests: SeenRequest[] = [];
  readonly faults = new FaultScript();
  /** Answers every later API request this long after it arrived. */
  latencyMs: number;
  private hanging = false;
  private readonly held = new Set<IncomingMessage>();
  private readonly replies = new Map<string, Answer>();

  constructor(
    private readonly state: ReceiverState,
    private readonly jaegerUrl: string,
    private readonly maxUploadBytes: number,
  ) {
    this.latencyMs = state.options.latencyMs ?? 0;
  }

  /** While true, API requests are taken in but never answered nor stored; off cuts those held. */
  setHanging(hanging: boolean): void {
    this.hanging = hanging;
    if (!hanging) this.cutHeld();
  }

  /** Cuts the connections of requests held by {@link setHanging}. */
  cutHeld(): void {
    for (const request of this.held) request.socket.destroy();
    this.held.clear();
  }

  /** Forgets faults, the request log, replies, latency and hanging. */
  reset(): void {
    this.faults.clear();
    this.requests.length = 0;
    this.replies.clear();
    this.latencyMs = this.state.options.latencyMs ?? 0;
    this.setHanging(false);
  }

  /** Handles one request. */
  async handle(exchange: Exchange): Promise<void> {
    const { method, path, url } = exchange;
    if (method === 'GET' && path === '/') {
      const page = renderPage(this.state.store, url.searchParams.get('conversation') ?? undefined, {
        jaegerUrl: this.jaegerUrl,
        search: url.searchParams.get('q') ?? undefined,
      });
      return this.answer(exchange, { status: 200, body: page });
    }
    const fileMatch = /^\/files\/(\d+)\/(\d+)$/.exec(path);
    if (method === 'GET' && fileMatch) return this.serveFile(exchange, Number(fileMatch[1]), Number(fileMatch[2]));
    if (!path.startsWith('/api/')) return this.answer(exchange, detail(404, 'Not found.'));
    if (this.hanging) {
      exchange.record(0);
      this.held.add(exchange.request);
      exchange.request.resume();
      return;
    }
    if (method === 'POST') exchange.fault = this.faults.take(path);
    const fault = exchange.fault;
    if (fault?.status !== undefined) {
      exchange.request.resume();
      const headers: Record<string, string> =
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
      const body = fault.body ?? { detail: `Injected fault ${fault.status}.` };
      return this.answer(exchange, { status: fault.status, body, headers });
    }
    if (fault?.reset && !fault.afterProcessing) return exchange.cut();
    const denied = this.authenticate(exchange.request);
    if (denied) {
      exchange.request.resume();
      return this.answer(exchange, denied);
    }
    return this.answer(exchange, await this.route(exchange));
  }

  private answer(exchange: Exchange, result: Answer): Promise<void> {
    return exchange.answer(result, this.latencyMs);
  }

  private authenticate(request: IncomingMessage): Answer | undefined {
    const header = request.headers.authorization;
    if (header === undefined) return detail(401, 'Authentication credentials were not provided.');
    const key = /^Api-Key (.+)$/.exec(header)?.[1];
    const expected = this.state.options.apiKey;
    if (key === undefined || !API_KEY_PATTERN.test(key) || (expected !== undefined && key !== expected)) {
      return detail(401, 'Invalid API key.');
    }
    return undefined;
  }

  private async route(exchange: Exchange): Promise<Answer> {
    const { method, path, request, url } = exchange;
    if (method === 'GET') return read(this.state, url);
    const managed = /^\/api\/conversations\/(\d+)\/(rename|mark|update|delete)\/$/.exec(path);
    if (managed) return manage(this.state, request, method, Number(managed[1]), managed[2] as string);
    if (method !== 'POST') {
      request.resume();
      return detail(405, `Method "${method}" not allowed.`);
    }
    return this.post(exchange);
  }

  /** A tracking or upload POST: the body is read whole first (the API reads before it answers), then a repeated key replays. */
  private async post(exchange: Exchange): Promise<Answer> {
    const { path, request, idempotencyKey } = exchange;
    const replyKey =
      idempotencyKey === undefined || this.state.options.ignoreIdempotencyKey === true
        ? undefined
        : `${path} ${idempotencyKey}`;
    const earlier = replyKey === undefined ? undefined : this.replies.get(replyKey);
    let decide: () => Answer;
    let spooled: readonly SpooledFile[] = [];
    if (path === '/api/attachments/' && /^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '')) {
      let parts: Awaited<ReturnType<typeof readMultipart>>;
      try {
        parts = await readMultipart(request, this.maxUploadBytes, this.state.spool);
      } catch (error) {
        if (error instanceof MultipartError) return detail(error.status, error.message);
        throw error;
      }
      spooled = parts.files;
      decide = () => uploadMultipart(this.state, parts.fields, parts.files, idempotencyKey);
    } else {
      const body = await readJsonBody(request, this.state.maxBodyBytes);
      if ('status' in body) return body;
      decide = () => track(this.state, path, body.json, idempotencyKey);
    }
    if (earlier) {
      exchange.replayed = true;
      // A replayed upload was spooled again: its files are not kept (issue 30: they stayed).
      for (const file of spooled) this.state.spool.discard(file);
      return { ...earlier, headers: { ...earlier.headers, 'idempotent-replayed': 'true' } };
    }
    const result = decide();
    if (replyKey !== undefined && result.status < 300) this.replies.set(replyKey, result);
    return result;
  }

  /**
   * An uploaded file, streamed from the spool (never read whole to serve it). Served as an
   * attachment unless it is an image the page shows: a dev page must not run uploaded HTML or SVG
   * in its own origin.
   */
  private serveFile(exchange: Exchange, record: number, index: number): Promise<void> | undefined {
    const file = this.state.store.file(record, index);
    if (!file) return this.answer(exchange, detail(404, 'Not found.'));
    exchange.record(200);
    const inline = /^image\/(png|jpeg|gif|webp|bmp)$/.test(file.mimeType);
    exchange.response.writeHead(200, {
      'content-type': inline ? file.mimeType : 'application/octet-stream',
      'content-disposition': inline ? 'inline' : 'attachment',
      'x-content-type-options': 'nosniff',
    });
    createReadStream(file.path)
      .on('error', () => exchange.response.destroy())
      .pipe(exchange.response);
    return undefined;
  }
}
