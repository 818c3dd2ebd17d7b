import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  API_KEY_PATTERN,
  checkAction,
  checkAttachments,
  checkButton,
  checkConversation,
  checkFeedback,
  checkMark,
  checkMessage,
  checkMultipartAttachments,
  checkRename,
  checkUpdate,
  type FieldErrors,
  type JsonObject,
} from './contract';
import { type Fault, FaultScript } from './faults';
import { FileSpool, type SpooledFile } from './file-spool';
import { type FilePart, MultipartError, readMultipart } from './multipart';
import { renderPage } from './page';
import { DevStore, type RecordKind, type StoredConversation } from './store';

/** How to run the local AgentSight receiver. */
export interface DevServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** When set, only this exact API key is accepted; otherwise any well-formed key is. */
  apiKey?: string;
  /** Append every accepted record to this file as JSON lines. */
  out?: string;
  /** Largest request body accepted; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Accept tracked items with `conversation: null` (resolved by `conversation_id`), as the
   * Python SDK sends after its first batch. Default false: every item must carry the id the
   * receiver returned for its conversation.
   */
  allowUnlinked?: boolean;
  /** Answer every request this long after it arrived (stored first): a slow API. Default 0. */
  latencyMs?: number;
  /** Largest file in a multipart upload; larger ones get 413. Default 64 MiB. */
  maxUploadBytes?: number;
  /**
   * Store every request as new, whatever its Idempotency-Key (replays are off): the AgentSight
   * API as the contract defines it, which names no idempotency. Default false.
   */
  ignoreIdempotencyKey?: boolean;
  /** Most open connections; more are closed at once. Default 1024. */
  maxConnections?: number;
  /** Time for a request's headers to arrive, in ms. Default 10000. */
  headersTimeoutMillis?: number;
  /** Time for a whole request to arrive, body included, in ms. Default 120000. */
  requestTimeoutMillis?: number;
  /**
   * The Jaeger UI the page's trace links open (`<url>/trace/<id>`). Default
   * `AGENTSIGHT_JAEGER_URL`, else http://localhost:16686.
   */
  jaegerUrl?: string;
}

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

/** A running receiver. */
export interface DevServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`: the exporter's `endpoint`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** What was accepted. */
  readonly store: DevStore;
  /** Faults to apply to the next requests. */
  readonly faults: FaultScript;
  /** Every request seen, in arrival order. */
  readonly requests: readonly SeenRequest[];
  /** Answers every later request this long after it arrived (stored first); 0 for at once. */
  setLatency(ms: number): void;
  /**
   * While true, requests are taken in but never answered nor stored (a hung API); turning it off
   * cuts the held connections.
   */
  setHanging(hanging: boolean): void;
  /** Stops listening and cuts open connections: clients get connection refused. */
  stopListening(): Promise<void>;
  /** Listens again on the same port after {@link stopListening}. */
  listenAgain(): Promise<void>;
  /** Forgets stored data, faults and the request log (and latency, hanging). */
  reset(): void;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const TRACKING_ROUTES: Record<string, { kind: RecordKind; check: (body: JsonObject) => FieldErrors | undefined }> = {
  '/api/track/': { kind: 'message', check: checkMessage },
  '/api/action_logs/': { kind: 'action', check: checkAction },
  '/api/buttons/': { kind: 'button', check: checkButton },
  '/api/attachments/': { kind: 'attachments', check: checkAttachments },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fieldErrors = (errors: FieldErrors): Answer => ({ status: 400, body: errors });
const detail = (status: number, text: string): Answer => ({ status, body: { detail: text } });

/** Starts the local AgentSight API receiver. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  if (options.apiKey !== undefined && !API_KEY_PATTERN.test(options.apiKey)) {
    throw new TypeError('startDevServer: apiKey must look like ags_<32 hex>_<6 hex>');
  }
  const store = new DevStore(options.out);
  const spool = new FileSpool();
  const jaegerUrl = options.jaegerUrl ?? process.env.AGENTSIGHT_JAEGER_URL ?? 'http://localhost:16686';
  /** This server's own base URL, with its port (known once it listens): file links use it. */
  let baseUrl = '';
  const faults = new FaultScript();
  const requests: SeenRequest[] = [];
  const replies = new Map<string, Answer>();
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxUploadBytes = options.maxUploadBytes ?? 64 * 1024 * 1024;
  let latencyMs = options.latencyMs ?? 0;
  let hanging = false;
  const held = new Set<IncomingMessage>();

  const authenticate = (request: IncomingMessage): Answer | undefined => {
    const header = request.headers.authorization;
    if (header === undefined) return detail(401, 'Authentication credentials were not provided.');
    const match = /^Api-Key (.+)$/.exec(header);
    const key = match?.[1];
    if (key === undefined || !API_KEY_PATTERN.test(key) || (options.apiKey !== undefined && key !== options.apiKey)) {
      return detail(401, 'Invalid API key.');
    }
    return undefined;
  };

  /** The linking rule: an item's `conversation` is the id returned for its `conversation_id`. */
  const checkLink = (body: JsonObject): Answer | StoredConversation => {
    const conversation = store.conversation(String(body.conversation_id));
    if (!conversation) {
      return fieldErrors({
        conversation_id: [
          `No conversation "${String(body.conversation_id)}"; create it first (POST /api/conversations/).`,
        ],
      });
    }
    const link = body.conversation;
    if ((link === null || link === undefined) && options.allowUnlinked) return conversation;
    if (link === null || link === undefined) {
      return fieldErrors({
        conversation: ['This field may not be null. Send the id POST /api/conversations/ returned.'],
      });
    }
    if (Number(link) !== conversation.id) {
      return fieldErrors({
        conversation: [
          `Conversation ${String(link)} is not "${conversation.conversationId}" (whose id is ${conversation.id}).`,
        ],
      });
    }
    return conversation;
  };

  /**
   * Stores an upload once its conversation is known: a `message` must be a message of that
   * conversation. The record keeps each file's name, type, size and sha256; the bytes are kept
   * apart for the page (`/files/<record>/<n>`).
   */
  const storeUpload = (
    conversation: StoredConversation,
    fields: JsonObject,
    files: readonly (SpooledFile & { filename: string; mimeType: string })[],
    idempotencyKey: string | undefined,
  ): Answer => {
    if (fields.message !== undefined) {
      const message = Number(fields.message);
      const known = store.recordsOf(conversation.conversationId).some((r) => r.kind === 'message' && r.id === message);
      if (!known) {
        for (const file of files) spool.discard(file);
        return fieldErrors({
          message: [`Message ${String(fields.message)} is not a message of "${conversation.conversationId}".`],
        });
      }
    }
    const attachments = files.map((f) => ({
      filename: f.filename,
      mime_type: f.mimeType,
      size_bytes: f.size,
      sha256: f.sha256,
    }));
    const body = { ...fields, attachments };
    const record = store.add('attachments', '/api/attachments/', conversation.conversationId, body, idempotencyKey);
    files.forEach((f, index) => {
      store.addFile(record.id, index, f);
    });
    return { status: 201, body: { id: record.id, status: 'success', message: 'Saved successfully' } };
  };

  /** POST /api/attachments/ as multipart (§3.5 C, D). */
  const uploadMultipart = (
    fields: ReadonlyArray<readonly [string, string]>,
    files: readonly FilePart[],
    idempotencyKey: string | undefined,
  ): Answer => {
    const refuse = (answer: Answer) => {
      for (const file of files) spool.discard(file);
      return answer;
    };
    const errors = checkMultipartAttachments(fields, files);
    if (errors) return refuse(fieldErrors(errors));
    const values: JsonObject = Object.fromEntries(fields);
    const conversation = store.conversationByPk(Number(values.conversation));
    if (!conversation) {
      return refuse(
        fieldErrors({ conversation: [`Invalid pk "${String(values.conversation)}" - object does not exist.`] }),
      );
    }
    const parsed: JsonObject = {
      ...values,
      metadata: values.metadata === undefined ? {} : JSON.parse(String(values.metadata)),
    };
    if (values.message !== undefined) parsed.message = Number(values.message);
    parsed.conversation = conversation.id;
    return storeUpload(conversation, parsed, files, idempotencyKey);
  };

  const track = (path: string, body: JsonObject, idempotencyKey: string | undefined): Answer => {
    if (path === '/api/conversations/') {
      const errors = checkConversation(body);
      if (errors) return fieldErrors(errors);
      const { conversation, created } = store.getOrCreateConversation(body);
      if (created) store.add('conversation', path, conversation.conversationId, body, idempotencyKey, conversation.id);
      return {
        status: created ? 201 : 200,
        body: { id: conversation.id, conversation_id: conversation.conversationId },
      };
    }
    if (path === '/api/conversation-feedbacks/') {
      const errors = checkFeedback(body);
      if (errors) return fieldErrors(errors);
      const conversation =
        body.conversation_id !== undefined
          ? store.conversation(String(body.conversation_id))
          : store.conversationByPk(Number(body.conversation));
      if (!conversation) return detail(404, 'Conversation not found.');
      if (
        body.conversation_id !== undefined &&
        body.conversation !== undefined &&
        body.conversation !== conversation.id
      ) {
        return fieldErrors({
          conversation: [`Conversation ${String(body.conversation)} is not "${conversation.conversationId}".`],
        });
      }
      const record = store.add('feedback', path, conversation.conversationId, body, idempotencyKey);
      return {
        status: 201,
        body: {
          id: record.id,
          conversation: conversation.id,
          source: 'customer',
          created_at: record.receivedAt,
          ...body,
        },
      };
    }
    const route = TRACKING_ROUTES[path];
    if (!route) return detail(404, 'Not found.');
    const errors = route.check(body);
    if (errors) return fieldErrors(errors);
    const linked = checkLink(body);
    if ('status' in linked) return linked;
    if (route.kind === 'attachments') {
      const { attachments, ...fields } = body;
      const files = (attachments as JsonObject[]).map((a) => ({
        filename: String(a.filename),
        mimeType: String(a.mime_type),
        ...spool.fromBytes(Buffer.from(String(a.data), 'base64')),
      }));
      return storeUpload(linked, fields, files, idempotencyKey);
    }
    const record = store.add(route.kind, path, linked.conversationId, body, idempotencyKey);
    return { status: 201, body: { id: record.id, status: 'success', message: 'Saved successfully' } };
  };

  const read = (url: URL): Answer => {
    const path = url.pathname;
    if (path === '/api/conversations/') {
      const filters = ['conversation_id', 'customer_id', 'device', 'language'] as const;
      const query = url.searchParams;
      const name = query.get('name')?.toLowerCase();
      const matches = store.conversations.filter(
        (c) =>
          filters.every((f) => !query.has(f) || c.fields[f] === query.get(f)) &&
          (query.get('include_deleted') === 'true' || c.deletedAt === null) &&
          (!query.has('is_marked') || String(c.isMarked) === query.get('is_marked')) &&
          (name === undefined ||
            String(c.fields.name ?? '')
              .toLowerCase()
              .includes(name)),
      );
      const pageSize = Math.min(100, Math.max(1, Number(url.searchParams.get('page_size') ?? 10) || 10));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
      const results = matches.slice((page - 1) * pageSize, page * pageSize).map((c) => conversationView(c, false));
      const link = (p: number) => `${url.origin}${path}?page=${p}&page_size=${pageSize}`;
      return {
        status: 200,
        body: {
          count: matches.length,
          next: page * pageSize < matches.length ? link(page + 1) : null,
          previous: page > 1 ? link(page - 1) : null,
          results,
        },
      };
    }
    if (path === '/api/conversations/lookup/') {
      const conversation = store.conversation(url.searchParams.get('conversation_id') ?? '');
      return conversation
        ? { status: 200, body: { id: conversation.id, conversation_id: conversation.conversationId } }
        : detail(404, 'Not found.');
    }
    const detailMatch = /^\/api\/conversations\/(\d+)\/$/.exec(path);
    if (detailMatch) {
      const conversation = store.conversationByPk(Number(detailMatch[1]));
      return conversation ? { status: 200, body: conversationView(conversation, true) } : detail(404, 'Not found.');
    }
    const attachmentsMatch = /^\/api\/conversations\/(\d+)\/attachments\/$/.exec(path);
    if (attachmentsMatch) {
      const conversation = store.conversationByPk(Number(attachmentsMatch[1]));
      if (!conversation) return detail(404, 'Not found.');
      const uploads = store.recordsOf(conversation.conversationId).filter((r) => r.kind === 'attachments');
      const messages = uploads.map((r) => ({
        message_id: typeof r.body.message === 'number' ? r.body.message : null,
        sender: r.body.sender ?? 'end_user',
        timestamp: r.body.timestamp,
        attachments: (r.body.attachments as JsonObject[]).map((a, i) => ({
          id: r.id * 1000 + i,
          type: attachmentType(String(a.mime_type)),
          filename: a.filename,
          mime_type: a.mime_type,
          size_bytes: a.size_bytes,
          file_url: `${baseUrl}/files/${r.id}/${i}`,
        })),
      }));
      return {
        status: 200,
        body: {
          conversation_id: conversation.conversationId,
          conversation: conversation.id,
          total_attachments: messages.reduce((n, m) => n + m.attachments.length, 0),
          messages,
        },
      };
    }
    return detail(404, 'Not found.');
  };

  /** The management endpoints (§3.11–3.14): each on its method, validated, on an existing conversation. */
  const manage = async (request: IncomingMessage, method: string, pk: number, action: string): Promise<Answer> => {
    const expected = { rename: 'PATCH', mark: 'POST', update: 'PATCH', delete: 'DELETE' }[action];
    if (method !== expected) {
      request.resume();
      return detail(405, `Method "${method}" not allowed.`);
    }
    let body: JsonObject = {};
    if (method !== 'DELETE') {
      const read = await readJsonBody(request, maxBodyBytes);
      if ('status' in read) return read;
      body = read.json;
    } else {
      request.resume();
    }
    const conversation = store.conversationByPk(pk);
    if (!conversation) return detail(404, 'Not found.');
    const base = { id: conversation.id, conversation_id: conversation.conversationId };
    if (action === 'rename') {
      const errors = checkRename(body);
      if (errors) return fieldErrors(errors);
      conversation.fields.name = body.name;
      return { status: 200, body: { ...base, name: body.name } };
    }
    if (action === 'mark') {
      const errors = checkMark(body);
      if (errors) return fieldErrors(errors);
      conversation.isMarked = body.is_marked === true;
      return { status: 200, body: { ...base, is_marked: conversation.isMarked } };
    }
    if (action === 'update') {
      const errors = checkUpdate(body);
      if (errors) return fieldErrors(errors);
      for (const [field, value] of Object.entries(body)) {
        if (field === 'is_marked') conversation.isMarked = value === true;
        else conversation.fields[field] = value;
      }
      return { status: 200, body: { ...base, ...body } };
    }
    conversation.deletedAt ??= new Date().toISOString();
    return { status: 200, body: { ...base, is_deleted: true, deleted_at: conversation.deletedAt } };
  };

  const conversationView = (c: StoredConversation, withItems: boolean) => {
    const records = store.recordsOf(c.conversationId).filter((r) => r.kind !== 'conversation');
    return {
      id: c.id,
      ...c.fields,
      is_used: c.isUsed,
      is_marked: c.isMarked,
      is_deleted: c.deletedAt !== null,
      deleted_at: c.deletedAt,
      messages: records
        .filter((r) => r.kind === 'message' || (withItems && r.kind !== 'feedback'))
        .map((r) => ({ id: r.id, kind: r.kind, ...r.body })),
    };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // Concatenated, not resolved: a path like //api/x must stay a path, not become a host.
    const url = new URL(`http://localhost${request.url ?? '/'}`);
    const method = request.method ?? 'GET';
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    const at = Date.now();
    let fault: Fault | undefined;
    let replayed = false;
    const answer = async (result: Answer): Promise<void> => {
      requests.push({
        method,
        path: url.pathname,
        status: result.status,
        idempotencyKey,
        replayed,
        fault,
        error: result.status >= 400 ? result.body : undefined,
        at,
      });
      const delay = (fault?.delayMs ?? 0) + (url.pathname.startsWith('/api/') ? latencyMs : 0);
      if (delay > 0) await sleep(delay);
      if (fault?.reset) {
        request.socket.destroy();
        return;
      }
      const text = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
      if (response.destroyed) return;
      response.writeHead(result.status, {
        'content-type': typeof result.body === 'string' ? 'text/html; charset=utf-8' : 'application/json',
        ...result.headers,
      });
      response.end(text);
    };

    if (method === 'GET' && url.pathname === '/') {
      const page = renderPage(store, url.searchParams.get('conversation') ?? undefined, {
        jaegerUrl,
        search: url.searchParams.get('q') ?? undefined,
      });
      return answer({ status: 200, body: page });
    }
    const fileMatch = /^\/files\/(\d+)\/(\d+)$/.exec(url.pathname);
    if (method === 'GET' && fileMatch) {
      const file = store.file(Number(fileMatch[1]), Number(fileMatch[2]));
      if (!file) return answer(detail(404, 'Not found.'));
      requests.push({ method, path: url.pathname, status: 200, idempotencyKey, replayed, fault, error: undefined, at });
      // Served as an attachment unless it is an image the page shows: a dev page must not run
      // uploaded HTML or SVG in its own origin.
      const inline = /^image\/(png|jpeg|gif|webp|bmp)$/.test(file.mimeType);
      response.writeHead(200, {
        'content-type': inline ? file.mimeType : 'application/octet-stream',
        'content-disposition': inline ? 'inline' : 'attachment',
        'x-content-type-options': 'nosniff',
      });
      // Streamed from the spool: a large file is never read whole into memory to serve it.
      createReadStream(file.path)
        .on('error', () => response.destroy())
        .pipe(response);
      return;
    }
    if (!url.pathname.startsWith('/api/')) return answer(detail(404, 'Not found.'));
    if (hanging) {
      requests.push({ method, path: url.pathname, status: 0, idempotencyKey, replayed, fault, error: undefined, at });
      held.add(request);
      request.resume();
      return;
    }
    if (method === 'POST') fault = faults.take(url.pathname);
    if (fault?.status !== undefined) {
      request.resume();
      const headers: Record<string, string> =
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
      return answer({
        status: fault.status,
        body: fault.body ?? { detail: `Injected fault ${fault.status}.` },
        headers,
      });
    }
    if (fault?.reset && !fault.afterProcessing) {
      requests.push({ method, path: url.pathname, status: 0, idempotencyKey, replayed, fault, error: undefined, at });
      request.socket.destroy();
      return;
    }
    const denied = authenticate(request);
    if (denied) {
      request.resume();
      return answer(denied);
    }
    if (method === 'GET') return answer(read(url));
    const managed = /^\/api\/conversations\/(\d+)\/(rename|mark|update|delete)\/$/.exec(url.pathname);
    if (managed) return answer(await manage(request, method, Number(managed[1]), managed[2] as string));
    if (method !== 'POST') {
      request.resume();
      return answer(detail(405, `Method "${method}" not allowed.`));
    }

    const replyKey =
      idempotencyKey === undefined || options.ignoreIdempotencyKey === true
        ? undefined
        : `${url.pathname} ${idempotencyKey}`;
    const earlier = replyKey === undefined ? undefined : replies.get(replyKey);
    // The body is read whole first (the API reads before it answers), then a repeated key replays.
    let decide: () => Answer;
    if (
      url.pathname === '/api/attachments/' &&
      /^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '')
    ) {
      let parts: Awaited<ReturnType<typeof readMultipart>>;
      try {
        parts = await readMultipart(request, maxUploadBytes, spool);
      } catch (error) {
        if (error instanceof MultipartError) return answer(detail(error.status, error.message));
        throw error;
      }
      decide = () => uploadMultipart(parts.fields, parts.files, idempotencyKey);
    } else {
      const body = await readJsonBody(request, maxBodyBytes);
      if ('status' in body) return answer(body);
      decide = () => track(url.pathname, body.json, idempotencyKey);
    }
    if (earlier) {
      replayed = true;
      return answer({ ...earlier, headers: { ...earlier.headers, 'idempotent-replayed': 'true' } });
    }
    const result = decide();
    if (replyKey !== undefined && result.status < 300) replies.set(replyKey, result);
    return answer(result);
  };

  const server: Server = createServer(
    {
      headersTimeout: options.headersTimeoutMillis ?? 10_000,
      requestTimeout: options.requestTimeoutMillis ?? 120_000,
      // How often Node checks those timeouts (default 30 s, which left slow connections held).
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ detail: `Receiver error: ${String(error)}` }));
      });
    },
  );
  server.keepAliveTimeout = 30_000;
  server.maxConnections = options.maxConnections ?? 1024;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const cutHeld = () => {
    for (const request of held) request.socket.destroy();
    held.clear();
  };
  return {
    url: baseUrl,
    port,
    store,
    faults,
    requests,
    setLatency(ms: number) {
      if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`latency must be a non-negative number (got ${ms})`);
      latencyMs = ms;
    },
    setHanging(on: boolean) {
      hanging = on;
      if (!on) cutHeld();
    },
    stopListening: () =>
      new Promise<void>((resolve) => {
        cutHeld();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    listenAgain: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      }),
    reset() {
      store.clear();
      spool.clear();
      faults.clear();
      requests.length = 0;
      replies.clear();
      latencyMs = options.latencyMs ?? 0;
      hanging = false;
      cutHeld();
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutHeld();
        spool.clear();
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The `type` the attachments endpoint reports for a MIME type (§3.9). */
function attachmentType(mimeType: string): 'image' | 'document' | 'text' | 'audio' | 'video' {
  const top = mimeType.split('/')[0];
  if (top === 'image' || top === 'audio' || top === 'video') return top;
  return top === 'text' || mimeType.includes('json') ? 'text' : 'document';
}

/** Reads a JSON object body, or the API's answer to a body it cannot take. */
async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<{ json: JsonObject } | Answer> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    request.resume();
    return detail(415, `Unsupported media type "${type}" in request.`);
  }
  // Read to the end even past the limit, so the 413 reaches the client on a healthy connection.
  const { text, tooLarge } = await new Promise<{ text: string; tooLarge: boolean }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > maxBytes }));
    request.on('error', reject);
  });
  if (tooLarge) return detail(413, `Request body too large (over ${maxBytes} bytes).`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return detail(400, `JSON parse error - ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fieldErrors({ non_field_errors: ['Invalid data. Expected a dictionary.'] });
  }
  return { json: json as JsonObject };
}
