/**
 * An offline stand-in for OpenAI: a loopback server that speaks the Chat Completions API (plain
 * and streamed, with tool calls and usage counts) and answers by script, deterministically.
 *
 * - A user message with arithmetic ("What is 127 multiplied by 8?", "calculate: (2+3)*4") makes
 *   it call the `calculator` tool; the tool's result makes it answer with that result.
 * - A message containing "please fail" makes it fail (HTTP 400), to show how errors are tracked.
 * - Anything else gets a friendly reply that says it is the offline model.
 *
 * Usage is counted as the characters of the prompt and the reply divided by four, the usual rule
 * of thumb for English text, so token usage shows up in AgentSight as it would with OpenAI.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running scripted model. */
export interface ScriptedModel {
  /** The OpenAI `baseURL` to use (`http://127.0.0.1:<port>/v1`). */
  readonly baseURL: string;
  close(): Promise<void>;
}

interface ChatMessage {
  role: string;
  content?: string | null | { type: string; text?: string }[];
  tool_calls?: unknown[];
}

interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: { function: { name: string } }[];
}

interface Reply {
  content: string | null;
  toolCall?: { name: string; arguments: string };
}

const WORDS_TO_OPERATORS: [RegExp, string][] = [
  [/\bmultiplied by\b|\btimes\b|×/gi, '*'],
  [/\bdivided by\b|÷/gi, '/'],
  [/\bplus\b/gi, '+'],
  [/\bminus\b/gi, '-'],
  [/\bto the power of\b/gi, '^'],
];

function text(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

/** The arithmetic in a user's message, as an expression, if there is any. */
export function arithmeticIn(message: string): string | undefined {
  const explicit = /calculate:\s*(.+)$/i.exec(message);
  if (explicit?.[1]) return explicit[1].trim();
  let normalised = message;
  for (const [words, operator] of WORDS_TO_OPERATORS) normalised = normalised.replace(words, ` ${operator} `);
  const candidates = normalised.match(/[\d(][\d\s.+\-*/%^()]*/g) ?? [];
  const expression = candidates.map((c) => c.trim()).find((c) => /\d/.test(c) && /\d\s*[-+*/%^]\s*[\d(]/.test(c));
  return expression?.replace(/\s+/g, ' ');
}

function reply(request: ChatRequest): Reply {
  const last = request.messages.at(-1);
  if (last?.role === 'tool') {
    const result = text(last.content);
    return {
      content: result.startsWith('Error')
        ? `I could not calculate that: ${result.replace(/^Error:\s*/, '')}.`
        : `The answer is ${result}.`,
    };
  }
  const question = text(last?.content);
  const expression = arithmeticIn(question);
  const canCalculate = request.tools?.some((t) => t.function.name === 'calculator');
  if (expression && canCalculate) {
    return { content: null, toolCall: { name: 'calculator', arguments: JSON.stringify({ expression }) } };
  }
  if (/\b(chart|image|picture|photo)\b/i.test(question)) {
    // The scripted model sees no pixels; the upload itself went to AgentSight with the message.
    return {
      content: 'Thanks, I have your chart. I cannot look at images offline, but it is saved with this conversation.',
    };
  }
  return {
    content:
      "Hello! I'm the demo assistant, running on an offline scripted model (no OpenAI key needed). " +
      'I can do arithmetic with my calculator tool: try "What is 127 multiplied by 8?".',
  };
}

const tokensOf = (characters: number) => Math.max(1, Math.ceil(characters / 4));

function usageOf(request: ChatRequest, answer: Reply) {
  const promptTokens = tokensOf(request.messages.reduce((n, m) => n + text(m.content).length, 0));
  const completionTokens = tokensOf((answer.content ?? answer.toolCall?.arguments ?? '').length);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function answer(request: ChatRequest, response: ServerResponse): void {
  const result = reply(request);
  const id = `chatcmpl-scripted-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const finishReason = result.toolCall ? 'tool_calls' : 'stop';
  const toolCalls = result.toolCall
    ? [{ id: `call_${Date.now()}`, type: 'function', function: result.toolCall }]
    : undefined;
  const usage = usageOf(request, result);
  if (!request.stream) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model: request.model,
        choices: [
          {
            index: 0,
            finish_reason: finishReason,
            message: { role: 'assistant', content: result.content, tool_calls: toolCalls },
          },
        ],
        usage,
      }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (choices: unknown[], extra: object = {}) =>
    response.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, choices, ...extra })}\n\n`,
    );
  const delta = toolCalls
    ? { role: 'assistant', tool_calls: toolCalls.map((call, index) => ({ index, ...call })) }
    : { role: 'assistant', content: result.content };
  chunk([{ index: 0, delta, finish_reason: null }]);
  chunk([{ index: 0, delta: {}, finish_reason: finishReason }]);
  if (request.stream_options?.include_usage) chunk([], { usage });
  response.end('data: [DONE]\n\n');
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: 'The scripted model only serves POST /v1/chat/completions' } }));
    return;
  }
  const parsed = JSON.parse(body) as ChatRequest;
  const question = text(parsed.messages.at(-1)?.content);
  if (/please fail/i.test(question)) {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ error: { message: 'The scripted model was asked to fail', type: 'invalid_request_error' } }),
    );
    return;
  }
  answer(parsed, response);
}

/** Starts the scripted model on a free loopback port. */
export async function startScriptedModel(): Promise<ScriptedModel> {
  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
