import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzip } from 'node:zlib';
import { diag } from '@opentelemetry/api';
import { redactor } from '../common/log-text';
import type { FinishedSpan } from '../common/sdk-shapes';
import { AgentSightConfigError, type AgentSightExporterOptions, resolveExporterConfig } from '../exporter/config';
import { channelSettingsFor } from '../exporter/delivery-channel';
import { DeliveryQueue } from '../exporter/delivery-queue';
import type { DeliveryStats } from '../exporter/delivery-stats';
import { DeliveryTicket } from '../exporter/delivery-ticket';
import { toConversationPlans } from '../exporter/mapping';
import type { ConversationPlan } from '../exporter/payloads';
import { createHttpTransport } from '../exporter/transport';
import { TraceResponseType } from './otlp-schema';
import { decodeTraceRequest, OtlpDecodeError } from './otlp-spans';

const log = diag.createComponentLogger({ namespace: 'agentsight-bridge' });

/** How to run the bridge: the exporter's options (key, endpoint, delivery policy) and its own. */
export interface BridgeOptions extends Omit<AgentSightExporterOptions, 'deliveryThread' | 'strict'> {
  /** Port to listen on; default `AGENTSIGHT_BRIDGE_PORT`, else 4319; 0 picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. A deployment behind a Collector binds `0.0.0.0`. */
  host?: string;
  /**
   * The bearer token senders must present (`Authorization: Bearer <token>`); default
   * `AGENTSIGHT_BRIDGE_TOKEN`. Required, at least 16 characters: the bridge is no open relay.
   */
  token?: string;
  /** Largest request body, after gzip is undone; larger ones get 413. Default 32 MiB. */
  maxBodyBytes?: number;
  /**
   * How long a request waits for its items to be delivered before they are given back with 503
   * (the sender retries them later). Default 10 s, inside the Collector's 30 s default timeout.
   */
  answerWithinMillis?: number;
}

/** Counts of what the bridge answered. */
export interface BridgeRequestCounts {
  /** 200: every item delivered or rejected for good. */
  accepted: number;
  /** 503 with Retry-After: AgentSight unavailable or the queue full; the sender keeps the data. */
  retryLater: number;
  /** 400/401/413/415: the request itself was wrong. */
  refused: number;
  /**
   * Spans reported rejected in `partial_success` of accepted requests: unreadable spans, items
   * AgentSight refused for good, and files (their bytes do not travel on spans).
   */
  rejectedSpans: number;
}

/** A running bridge. */
export interface Bridge {
  /** Base URL; the Collector's `otlp_http` exporter sends to `${url}/v1/traces`. */
  readonly url: string;
  readonly port: number;
  /** Delivery counters (as the exporter's `stats()`), and what the bridge answered. */
  stats(): DeliveryStats & { requests: BridgeRequestCounts };
  /**
   * Graceful shutdown: stops taking requests (health turns 503), lets requests in progress finish
   * (each within `answerWithinMillis`), then closes.
   */
  close(): Promise<void>;
}

const DEFAULT_PORT = 4319;
const MIN_TOKEN_LENGTH = 16;

/** Above this share of the queue's budget, new requests are told to come back later. */
const QUEUE_HIGH_WATER = 0.9;

interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** For /v1/traces: the partial success to encode in the request's own encoding. */
  rejected?: { spans: number; message: string };
  text?: string;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > limit ? 'too_large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function gunzipLimited(body: Buffer, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    gunzip(body, { maxOutputLength: limit }, (error, result) => {
      if (error === null) resolve(result);
      else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') resolve('too_large');
      else reject(error);
    });
  });
}

/**
 * Files cannot cross a Collector (their bytes stay in the application's process; spans carry only
 * descriptions), so uploads are taken out of the plans, and their files counted.
 */
function withoutUploads(plans: readonly ConversationPlan[]): { plans: ConversationPlan[]; files: number } {
  let files = 0;
  const kept = plans.map((plan) => {
    if (!plan.items.some((item) => item.files !== undefined)) return plan;
    files += plan.items.reduce((n, item) => n + (item.files?.length ?? 0), 0);
    return { ...plan, items: plan.items.filter((item) => item.files === undefined) };
  });
  return { plans: kept, files };
}

/**
 * Starts the bridge: an OTLP/HTTP traces receiver (`POST /v1/traces`, protobuf or JSON, gzip or
 * not) that maps spans with the exporter's mapping and delivers them with its delivery queue. It
 * answers 200 only once the request's items are delivered or rejected for good (rejections in
 * `partial_success`); while AgentSight is unavailable it answers 503 with `Retry-After` (the
 * API's own, or when the next probe is due), and gives the items back, so the Collector's retries and
 * persistent queue hold them. Apart from the cache of conversation ids it keeps no state.
 */
export async function startBridge(options: BridgeOptions = {}): Promise<Bridge> {
  const config = resolveExporterConfig({ ...options, deliveryThread: false, strict: true });
  const token = options.token ?? process.env.AGENTSIGHT_BRIDGE_TOKEN;
  if (token === undefined || token.length < MIN_TOKEN_LENGTH) {
    throw new AgentSightConfigError(
      `the bridge needs a bearer token of at least ${MIN_TOKEN_LENGTH} characters (option token or AGENTSIGHT_BRIDGE_TOKEN)`,
    );
  }
  const expected = digest(`Bearer ${token}`);
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const answerWithinMillis = options.answerWithinMillis ?? 10_000;
  const settings = channelSettingsFor(config);
  const transport = createHttpTransport(config.endpoint, settings.headers, settings.delivery.concurrency);
  const queue = new DeliveryQueue(transport, settings.delivery);
  const redact = redactor(config.apiKey);
  const requests: BridgeRequestCounts = { accepted: 0, retryLater: 0, refused: 0, rejectedSpans: 0 };
  let closing = false;

  const retryLater = (why: string): Answer => {
    const waitMillis = queue.unavailableFor() ?? 5_000;
    const seconds = Math.max(1, Math.ceil(waitMillis / 1000));
    return {
      status: 503,
      headers: { 'retry-after': String(seconds) },
      text: `AgentSight is not taking data now (${why}); retry in ${seconds} s`,
    };
  };

  /** Delivers one request's items and decides its answer. */
  const deliver = async (spans: FinishedSpan[]): Promise<Answer> => {
    const mapped = toConversationPlans(spans, {
      environment: config.environment,
      maxFieldLength: config.maxFieldLength,
    });
    const { plans, files } = withoutUploads(mapped.plans);
    const unreadable = mapped.dropped.length;
    if (closing) return retryLater('the bridge is shutting down');
    const stats = queue.stats();
    if (stats.queuedBytes > settings.delivery.maxQueueBytes * QUEUE_HIGH_WATER) return retryLater('the queue is full');
    if (queue.unavailableFor() !== undefined) return retryLater(`the API is unavailable (${stats.circuit})`);

    const ticket = new DeliveryTicket();
    queue.enqueue(plans, ticket);
    await untilSettledOrUnavailable(ticket, queue, answerWithinMillis);
    if (ticket.pending > 0) {
      // Not delivered in time, or the API went away: what waits is given back to the sender.
      queue.cancel(ticket);
      await ticket.settled();
    }
    if (ticket.returned > 0) return retryLater(`${ticket.returned} of its items could not be delivered yet`);
    const rejectedSpans = unreadable + ticket.rejected + files;
    const reasons = [
      ...mapped.dropped.slice(0, 3).map((d) => `span "${d.spanName}": ${d.reason}`),
      ...ticket.rejections.map(redact),
      ...(files > 0 ? [`${files} attachment(s): file bytes do not travel on spans`] : []),
    ];
    return { status: 200, rejected: { spans: rejectedSpans, message: reasons.join('; ') } };
  };

  const handle = async (request: IncomingMessage): Promise<Answer> => {
    const url = new URL(request.url ?? '/', 'http://bridge');
    if (url.pathname === '/healthz' || url.pathname === '/health') {
      request.resume();
      const stats = queue.stats();
      return {
        status: closing ? 503 : 200,
        text: JSON.stringify({
          status: closing ? 'shutting down' : 'ok',
          agentsight: stats.circuit === 'closed' ? 'available' : 'unavailable',
          queuedItems: stats.queuedItems,
          delivered: stats.delivered,
        }),
      };
    }
    if (url.pathname !== '/v1/traces') {
      request.resume();
      return { status: 404, text: 'Not found: the bridge takes POST /v1/traces' };
    }
    if (request.method !== 'POST') {
      request.resume();
      return { status: 405, headers: { allow: 'POST' }, text: 'POST only' };
    }
    const presented = digest(String(request.headers.authorization ?? ''));
    if (!timingSafeEqual(presented, expected)) {
      request.resume();
      return { status: 401, headers: { 'www-authenticate': 'Bearer' }, text: 'a valid bearer token is required' };
    }
    const type = String(request.headers['content-type'] ?? '').toLowerCase();
    const json = type.startsWith('application/json');
    if (!json && !type.startsWith('application/x-protobuf')) {
      request.resume();
      return { status: 415, text: 'send application/x-protobuf or application/json' };
    }
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') {
      request.resume();
      return { status: 415, text: `unsupported content-encoding "${encoding}" (gzip or none)` };
    }
    let body = await readBody(request, maxBodyBytes);
    if (body !== 'too_large' && encoding === 'gzip') body = await gunzipLimited(body, maxBodyBytes);
    if (body === 'too_large') return { status: 413, text: `the body is over ${maxBodyBytes} bytes` };
    let spans: FinishedSpan[];
    try {
      spans = decodeTraceRequest(body, json);
    } catch (error) {
      if (error instanceof OtlpDecodeError) return { status: 400, text: error.message };
      throw error;
    }
    const answer = await deliver(spans);
    return { ...answer, headers: { ...answer.headers, 'x-otlp-json': json ? '1' : '0' } };
  };

  const respond = (response: ServerResponse, answer: Answer): void => {
    const json = answer.headers?.['x-otlp-json'] === '1';
    const headers: Record<string, string> = { ...answer.headers };
    delete headers['x-otlp-json'];
    if (answer.status === 200 && answer.rejected !== undefined) {
      requests.accepted += 1;
      requests.rejectedSpans += answer.rejected.spans;
    } else if (answer.status === 503) requests.retryLater += 1;
    else if (answer.status >= 400) requests.refused += 1;
    if (answer.rejected !== undefined) {
      const partial =
        answer.rejected.spans > 0
          ? { rejected_spans: answer.rejected.spans, error_message: answer.rejected.message.slice(0, 2_000) }
          : undefined;
      if (json) {
        const body = partial
          ? { partialSuccess: { rejectedSpans: String(partial.rejected_spans), errorMessage: partial.error_message } }
          : {};
        response.writeHead(200, { ...headers, 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      } else {
        const message = TraceResponseType.fromObject(partial ? { partial_success: partial } : {});
        response.writeHead(200, { ...headers, 'content-type': 'application/x-protobuf' });
        response.end(Buffer.from(TraceResponseType.encode(message).finish()));
      }
      return;
    }
    response.writeHead(answer.status, {
      ...headers,
      'content-type': answer.text?.startsWith('{') ? 'application/json' : 'text/plain; charset=utf-8',
    });
    response.end(answer.text ?? '');
  };

  const inProgress = new Set<Promise<void>>();
  const server: Server = createServer((request, response) => {
    const work = handle(request)
      .then((answer) => respond(response, answer))
      .catch((error: unknown) => {
        log.error('bridge request failed', redact(String(error)));
        if (!response.headersSent) respond(response, { status: 500, text: 'bridge error' });
        else response.destroy();
      })
      .finally(() => inProgress.delete(work));
    inProgress.add(work);
  });
  server.keepAliveTimeout = 30_000;
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? Number(process.env.AGENTSIGHT_BRIDGE_PORT ?? DEFAULT_PORT);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    stats: () => ({ ...queue.stats(), requests: { ...requests } }),
    async close() {
      if (closing) return;
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...inProgress]);
      server.closeAllConnections();
      await stopped;
      queue.close();
      await transport.close();
    },
  };
}

/** Waits until the ticket's items have all ended, the API became unavailable, or time is up. */
async function untilSettledOrUnavailable(ticket: DeliveryTicket, queue: DeliveryQueue, withinMillis: number) {
  const deadline = Date.now() + withinMillis;
  let settled = false;
  void ticket.settled().then(() => {
    settled = true;
  });
  while (!settled && Date.now() < deadline) {
    if (queue.unavailableFor() !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
