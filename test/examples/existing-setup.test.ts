import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { runNode } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

describe('the README’s existing set-ups lose nothing to a SIGTERM right after a turn', function () {
  this.timeout(60_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  /** Stands in for Jaeger / the app's OTLP backend: answers 200, counts the trace exports. */
  let backend: Server;
  let traceExports = 0;
  before(async () => {
    backend = createServer((request, response) => {
      if (request.url === '/v1/traces') traceExports += 1;
      request.resume();
      request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  });
  after(() => backend.close());

  for (const snippet of ['telemetry', 'telemetry-2x'] as const) {
    it(`${snippet === 'telemetry' ? 'the 3.x snippet' : 'the 1.x / 2.x snippet'}: the turn reaches AgentSight and the OTLP backend`, async () => {
      traceExports = 0;
      const app = runNode('build/test/fixtures/existing-setup-app.js', [snippet], {
        AGENTSIGHT_API_KEY: TEST_API_KEY,
        AGENTSIGHT_API_ENDPOINT: receiver().url,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`,
      });
      const port = (await app.waitFor(/listening (\d+)/))[1];
      const conversationId = `sigterm-${snippet}`;
      const reply = await fetch(`http://127.0.0.1:${port}/?conversation=${conversationId}`);
      expect(await reply.text()).to.equal('yes');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const code = await app.stop('SIGTERM');
      expect(code, app.output()).to.equal(0);
      expect(
        receiver()
          .store.recordsOf(conversationId)
          .map((r) => (r.kind === 'message' ? r.body.content : r.kind)),
      ).to.deep.equal(['conversation', 'are you there?', 'yes']);
      expect(traceExports, 'the spans reached the OTLP backend too').to.be.greaterThan(0);
    });
  }
});
