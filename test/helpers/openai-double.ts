import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback OpenAI-compatible chat completions server with a script an agent test can follow
 * (the real API cannot be reached here):
 * - a user message containing `calculate <expression>`, with a `calculator` tool offered, is
 *   answered with a call of that tool;
 * - a tool result is answered `The result is <result>.`;
 * - anything else is answered `You said: <the last user message>.`
 *
 * `stream: true` answers as server-sent chunks (the text in three deltas, a tool call's
 * arguments in two), with the usage in a last chunk when `stream_options.include_usage` asks.
 * Every answer reports 20 prompt and 5 completion tokens.
 */
export interface OpenAiDouble {
  readonly baseURL: string;
  /** The bodies it received, in order. */
  readonly requests: ChatRequest[];
  close(): Promise<void>;
}

interface ChatMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null;
  tool_calls?: unknown[];
}

interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: { function: { name: string } }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

const USAGE = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };

function textOf(message: ChatMessage | undefined): string {
  const content = message?.content;
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

type Reply = { text: string } | { tool: { id: string; name: string; arguments: string } };

function replyTo(request: ChatRequest, serial: number): Reply {
  const last = request.messages[request.messages.length - 1];
  if (last?.role === 'tool') return { text: `The result is ${textOf(last)}.` };
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  const expression = /calculate (.+)$/i.exec(textOf(lastUser))?.[1];
  const offersCalculator = request.tools?.some((t) => t.function.name === 'calculator') === true;
  if (expression !== undefined && offersCalculator) {
    return { tool: { id: `call_${serial}`, name: 'calculator', arguments: JSON.stringify({ expression }) } };
  }
  return { text: `You said: ${textOf(lastUser)}.` };
}

function answerWhole(response: ServerResponse, request: ChatRequest, reply: Reply, id: string): void {
  const message =
    'text' in reply
      ? { role: 'assistant', content: reply.text }
      : {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: reply.tool.id,
              type: 'function',
              function: { name: reply.tool.name, arguments: reply.tool.arguments },
            },
          ],
        };
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      choices: [{ index: 0, finish_reason: 'text' in reply ? 'stop' : 'tool_calls', message }],
      usage: USAGE,
    }),
  );
}

function answerStreamed(response: ServerResponse, request: ChatRequest, reply: Reply, id: string): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const base = { id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: request.model };
  const send = (payload: object) => response.write(`data: ${JSON.stringify({ ...base, ...payload })}\n\n`);
  const delta = (d: object, finish: string | null = null) =>
    send({ choices: [{ index: 0, delta: d, finish_reason: finish }] });
  delta({ role: 'assistant', content: '' });
  if ('text' in reply) {
    const third = Math.ceil(reply.text.length / 3);
    for (let i = 0; i < reply.text.length; i += third) delta({ content: reply.text.slice(i, i + third) });
    delta({}, 'stop');
  } else {
    const half = Math.ceil(reply.tool.arguments.length / 2);
    delta({
      tool_calls: [
        {
          index: 0,
          id: reply.tool.id,
          type: 'function',
          function: { name: reply.tool.name, arguments: reply.tool.arguments.slice(0, half) },
        },
      ],
    });
    delta({ tool_calls: [{ index: 0, function: { arguments: reply.tool.arguments.slice(half) } }] });
    delta({}, 'tool_calls');
  }
  if (request.stream_options?.include_usage === true) send({ choices: [], usage: USAGE });
  response.end('data: [DONE]\n\n');
}

export async function startOpenAiDouble(): Promise<OpenAiDouble> {
  const requests: ChatRequest[] = [];
  const server: Server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      if (!incoming.url?.endsWith('/chat/completions')) {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `no route ${incoming.url}` } }));
        return;
      }
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequest;
      requests.push(request);
      const reply = replyTo(request, requests.length);
      const id = `chatcmpl-${requests.length}`;
      if (request.stream === true) answerStreamed(response, request, reply, id);
      else answerWhole(response, request, reply, id);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
