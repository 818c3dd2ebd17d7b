import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  AgentSightClient,
  AgentSightDeliveryError,
  AgentSightSpanProcessor,
  trackConversation,
  trackHumanMessage,
} from 'agentsight-otel';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { TEST_API_KEY } from '../helpers/receiver';
import { captureStderr } from '../helpers/stderr';
import { startTracing, stopTracing } from '../helpers/tracing';

/**
 * An API that echoes the key at a chosen place in a long error text, in a chosen case. Before,
 * texts were cut at 500 characters and then redacted: an echo straddling the cut left 16 of the
 * key's 38 secret characters in errors, failures and the stderr warning.
 */
type Echo = { offset: number; upper: boolean; format: 'detail' | 'fields' | 'text' };

function echoServer(echo: () => Echo): Server {
  return createServer((request, response) => {
    request.resume();
    const { offset, upper, format } = echo();
    const key = upper ? TEST_API_KEY.toUpperCase() : TEST_API_KEY;
    const text = `${'e'.repeat(offset)}${key} was refused${' '.repeat(20)}and so on`;
    const body =
      format === 'detail'
        ? JSON.stringify({ detail: text })
        : format === 'fields'
          ? JSON.stringify({ content: [text] })
          : text;
    response.writeHead(400, { 'content-type': format === 'text' ? 'text/plain' : 'application/json' }).end(body);
  });
}

const FORMATS = ['detail', 'fields', 'text'] as const;

/** Every run of 12 characters of the key (case-insensitive) that appears in `text`. */
function keyFragmentsIn(text: string): string[] {
  const found: string[] = [];
  const key = TEST_API_KEY.toLowerCase();
  const haystack = text.toLowerCase();
  for (let start = 0; start + 12 <= key.length; start++) {
    const fragment = key.slice(start, start + 12);
    if (haystack.includes(fragment)) found.push(fragment);
  }
  return found;
}

describe('reliability: no fragment of the key in any output, wherever the echo falls', function () {
  this.timeout(120_000);
  let position: Echo = { offset: 0, upper: false, format: 'detail' };
  let server: Server;
  let url = '';
  before(async () => {
    server = echoServer(() => position);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  // Around every cut the code makes (200, 500, 2,000 characters), and away from them.
  const offsets = [0, 150, 170, 190, 460, 470, 480, 490, 500, 1_950, 1_970, 1_990, 3_000];

  it('the client: AgentSightApiError, its inspection and its stack', async () => {
    const client = new AgentSightClient({ apiKey: TEST_API_KEY, endpoint: url, maxRetries: 0 });
    try {
      for (const format of FORMATS) {
        for (const offset of offsets) {
          for (const upper of [false, true]) {
            position = { offset, upper, format };
            const error = await client.lookupConversation('c').catch((e: unknown) => e);
            const output = `${String(error)}\n${inspect(error)}\n${(error as Error).stack}`;
            expect(keyFragmentsIn(output), `${format} at ${offset}, upper ${upper}`).to.deep.equal([]);
          }
        }
      }
    } finally {
      await client.close();
    }
  });

  for (const deliveryThread of [true, false]) {
    it(`delivery (${deliveryThread ? 'delivery' : 'main'} thread): the flush error, its failures, stderr and diag`, async () => {
      for (const [offset, upper, format] of offsets.flatMap((o) =>
        FORMATS.flatMap((f) => [[o, false, f] as const, [o, true, f] as const]),
      )) {
        {
          position = { offset, upper, format };
          const diag = captureDiag();
          const stderr = captureStderr();
          const processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: url, deliveryThread });
          const tracing = startTracing([processor]);
          let error: unknown;
          try {
            trackConversation({ conversationId: `echo-${offset}` }, () => trackHumanMessage('hello'));
            error = await processor.forceFlush().catch((e: unknown) => e);
          } finally {
            stderr.restore();
            diag.restore();
            await stopTracing(tracing);
          }
          expect(error).to.be.instanceOf(AgentSightDeliveryError);
          const failures = (error as AgentSightDeliveryError).failures;
          expect(failures.length).to.be.greaterThan(0);
          const output = [
            String(error),
            inspect(error, { depth: 5 }),
            JSON.stringify(failures),
            JSON.stringify(processor.stats()),
            ...stderr.lines,
            ...diag.all,
          ].join('\n');
          expect(keyFragmentsIn(output), `${format} at ${offset}, upper ${upper}`).to.deep.equal([]);
        }
      }
    });
  }
});
