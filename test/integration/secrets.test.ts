import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AgentSightConfigError,
  AgentSightDeliveryError,
  AgentSightSpanExporter,
  AgentSightSpanProcessor,
  trackConversation,
  trackHumanMessage,
} from 'agentsight-otel';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { TEST_API_KEY } from '../helpers/receiver';
import { captureStderr } from '../helpers/stderr';
import { startTracing, stopTracing } from '../helpers/tracing';

/** A hostile API: refuses every request and echoes the key back, in other cases, in body and headers. */
async function startEchoServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const key = String(request.headers.authorization ?? '').replace(/^Api-Key /, '');
    request.resume();
    response.writeHead(400, { 'content-type': 'application/json', 'x-echo': key.toUpperCase() });
    response.end(
      JSON.stringify({
        detail: `Key ${key.toUpperCase()} is not valid here; you sent ${key} (${key.replace(/[a-f]/g, (c) => c.toUpperCase())})`,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the API key never reaches any output', () => {
  it('redacts a key the server echoes, in any case, from logs, errors, counters and stderr', async () => {
    const echo = await startEchoServer();
    const diag = captureDiag();
    const stderr = captureStderr();
    let error: unknown;
    const processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: echo.url });
    const tracing = startTracing([processor]);
    try {
      trackConversation({ conversationId: 'echo' }, () => trackHumanMessage('hello'));
      await processor.forceFlush().catch((e: unknown) => {
        error = e;
      });
    } finally {
      stderr.restore();
      diag.restore();
      await stopTracing(tracing);
      echo.server.close();
    }
    expect(error).to.be.instanceOf(AgentSightDeliveryError);
    const delivery = error as AgentSightDeliveryError;
    expect(delivery.failures.length).to.be.greaterThan(0);
    expect(delivery.failures[0]?.message).to.contain('ags_[redacted]');
    const outputs = [
      String(error),
      delivery.message,
      JSON.stringify(delivery.failures),
      JSON.stringify(processor.stats()),
      ...diag.all,
      ...stderr.lines,
      // What the README's own handler prints.
      require('node:util').inspect(error, { depth: 5 }),
    ].join('\n');
    expect(outputs.toLowerCase()).to.not.contain(TEST_API_KEY.toLowerCase());
    expect(outputs).to.not.match(/ags_[a-f0-9]{32}_[a-f0-9]{6}/i);
  });

  it('shows endpoints in configuration errors without credentials or query', () => {
    const cases = [
      'ftp://user:hunter2@host/?key=s3cret',
      'https://host/api?key=s3cret',
      'https://user:hunter2@host',
      'not a url user:hunter2@host?key=s3cret',
    ];
    for (const endpoint of cases) {
      let message = '';
      try {
        new AgentSightSpanExporter({ apiKey: TEST_API_KEY, endpoint, deliveryThread: false, strict: true });
      } catch (error) {
        expect(error).to.be.instanceOf(AgentSightConfigError);
        message = (error as Error).message;
      }
      expect(message, endpoint).to.not.equal('');
      expect(message, endpoint).to.not.contain('hunter2').and.to.not.contain('s3cret');
    }
    // Not strict: the same problem is printed once on stderr, as safely.
    const stderr = captureStderr();
    try {
      for (const endpoint of cases) new AgentSightSpanExporter({ apiKey: TEST_API_KEY, endpoint });
    } finally {
      stderr.restore();
    }
    expect(stderr.lines.join('')).to.contain('agentsight-otel:').and.not.contain('hunter2').and.not.contain('s3cret');
  });
});
