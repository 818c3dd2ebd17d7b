import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback OpenAI-compatible endpoint: answers chat completions with fixed usage counts. */
export interface FakeOpenAI {
  readonly baseURL: string;
  readonly requests: unknown[];
  close(): Promise<void>;
}

export async function startFakeOpenAI(usage = { prompt_tokens: 12, completion_tokens: 7 }): Promise<FakeOpenAI> {
  const requests: unknown[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const parsed = JSON.parse(body || '{}');
      requests.push(parsed);
      response.writeHead(200, { 'content-type': 'application/json' });
      if (request.url?.endsWith('/embeddings')) {
        response.end(
          JSON.stringify({
            object: 'list',
            model: parsed.model,
            data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
            usage: { prompt_tokens: 5, total_tokens: 5 },
          }),
        );
        return;
      }
      response.end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: parsed.model,
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'pong' } }],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
