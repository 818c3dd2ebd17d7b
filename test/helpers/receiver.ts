import { type DevServer, startDevServer } from 'agentsight-otel/dev-server';

/** The key every test uses: the contract's valid fixture (§1.2). */
export const TEST_API_KEY = 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3';

/** An answer from the receiver, parsed. */
export interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

/** POSTs JSON (or raw text) to the receiver with the test key unless told otherwise. */
export async function post(
  server: DevServer,
  path: string,
  body: unknown,
  { key = TEST_API_KEY, headers = {} }: { key?: string | null; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Api-Key ${key}` }),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** GETs from the receiver with the test key. */
export async function get(server: DevServer, path: string): Promise<Reply> {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Api-Key ${TEST_API_KEY}` } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

/** Mocha hooks: one receiver for the suite, emptied before each test. */
export function useReceiver(options: Parameters<typeof startDevServer>[0] = {}): () => DevServer {
  let server: DevServer | undefined;
  before(async () => {
    server = await startDevServer(options);
  });
  beforeEach(() => server?.reset());
  after(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('the receiver is not running');
    return server;
  };
}

/** A valid conversation body, in the Python SDK's key order. */
export function conversationBody(conversationId: string, overrides: Record<string, unknown> = {}) {
  return {
    timestamp: '2026-02-08T13:36:00.123456+00:00',
    conversation_id: conversationId,
    customer_id: null,
    customer_ip_address: null,
    device: null,
    source: null,
    language: null,
    name: null,
    is_used: true,
    environment: 'development',
    metadata: null,
    ...overrides,
  };
}

/**
 * A stored item as one line of a transcript: `end_user: …`, `agent: …`, `action name → response`,
 * or `tokens prompt/completion` for token usage.
 */
export function itemLine(record: { readonly kind: string; readonly body: Record<string, unknown> }): string {
  const b = record.body;
  if (record.kind === 'message') return `${b.sender}: ${b.content}`;
  if (b.action_name === 'token_usage') {
    const m = b.metadata as Record<string, number>;
    return `tokens ${m.prompt_tokens}/${m.completion_tokens}`;
  }
  return `action ${b.action_name} → ${b.response}`;
}

/** A conversation's items as the receiver stored them, in arrival order, as transcript lines. */
export function transcriptOf(server: DevServer, conversationId: string): string[] {
  return server.store
    .recordsOf(conversationId)
    .filter((r) => r.kind !== 'conversation')
    .map(itemLine);
}
