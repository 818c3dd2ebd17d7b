import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { runNode } from '../helpers/processes';

/**
 * An API that answers what no contract promises: a chunked body that never ends, one of 2 GB, a
 * Content-Length of 2 GB, an HTML page with 200. Measured on the packed package before: the
 * first two crashed the host app (V8 `Check failed: i::kMaxInt >= len`, exit 133) or took 5 GB.
 * The app runs in a child process, so its exit code and memory are what is checked.
 */
type Answer = 'endless' | 'chunked-2gb' | 'length-2gb' | 'html';

const MEBIBYTE = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** Writes `total` bytes (Infinity: forever) as fast as the client reads, until it goes away. */
function pour(response: ServerResponse, total: number): void {
  let sent = 0;
  const more = () => {
    while (sent < total && !response.destroyed) {
      sent += CHUNK.length;
      if (!response.write(CHUNK)) return void response.once('drain', more);
    }
    if (!response.destroyed) response.end();
  };
  response.on('close', () => {
    sent = total;
  });
  more();
}

function hostileServer(answer: () => Answer): Server {
  return createServer((request, response) => {
    request.resume();
    const kind = answer();
    if (kind === 'html') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Welcome to our proxy</body></html>');
    } else if (kind === 'length-2gb') {
      response.writeHead(201, { 'content-type': 'application/json', 'content-length': String(2 * 1024 * MEBIBYTE) });
      pour(response, 2 * 1024 * MEBIBYTE);
    } else {
      response.writeHead(201, { 'content-type': 'application/json' }); // chunked: no Content-Length
      pour(response, kind === 'endless' ? Number.POSITIVE_INFINITY : 2 * 1024 * MEBIBYTE);
    }
  });
}

interface ChildResult {
  exitCode: number | null;
  result: Record<string, any>;
  output: string;
}

async function runApp(endpoint: string, args: string[]): Promise<ChildResult> {
  const child = runNode('build/test/fixtures/reliability-app.js', args, {
    AGENTSIGHT_API_ENDPOINT: endpoint,
    AGENTSIGHT_LOG_LEVEL: 'NONE',
  });
  const exitCode = await child.exited();
  const line = /^result (.*)$/m.exec(child.output());
  return { exitCode, result: line ? JSON.parse(line[1] as string) : {}, output: child.output() };
}

describe('reliability: hostile answers never hurt the app', function () {
  this.timeout(120_000);
  let kind: Answer = 'endless';
  let server: Server;
  let endpoint = '';

  before(async () => {
    server = hostileServer(() => kind);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  for (const answer of ['endless', 'chunked-2gb', 'length-2gb', 'html'] as const) {
    for (const mode of ['thread', 'main'] as const) {
      it(`an app delivering on the ${mode === 'thread' ? 'delivery' : 'main'} thread lives through a ${answer} answer, within +100 MB, every loss counted`, async () => {
        kind = answer;
        const { exitCode, result, output } = await runApp(endpoint, ['hostile-processor', mode, '3']);
        expect(exitCode, output).to.equal(0);
        expect(result.grownMb, output).to.be.lessThan(100);
        // No conversation id can be read from such an answer, so the items cannot be linked: all
        // six are counted, and the flush says so.
        expect(result.stats.dropped.conversation_rejected, output).to.equal(6);
        expect(result.stats.delivered).to.equal(0);
        expect(result.error).to.match(/6 item\(s\) were not delivered \(6 conversation_rejected\)/);
      });
    }
  }

  for (const answer of ['endless', 'chunked-2gb', 'length-2gb'] as const) {
    it(`the client rejects a ${answer} answer with ANSWER_TOO_LARGE and its status`, async () => {
      kind = answer;
      const { exitCode, result, output } = await runApp(endpoint, ['hostile-client']);
      expect(exitCode, output).to.equal(0);
      expect(result.grownMb, output).to.be.lessThan(100);
      expect(result.error).to.include({ name: 'AgentSightApiError', status: 201, code: 'ANSWER_TOO_LARGE' });
    });
  }

  it('the client rejects a 200 whose body is not JSON (ANSWER_NOT_JSON), never returning it as a value', async () => {
    kind = 'html';
    const { result, output } = await runApp(endpoint, ['hostile-client']);
    expect(result.error, output).to.include({ name: 'AgentSightApiError', status: 200, code: 'ANSWER_NOT_JSON' });
    expect(result.error.message).to.not.include('<html>');
  });

  for (const answer of ['endless', 'chunked-2gb'] as const) {
    it(`the bridge lives through a ${answer} answer and reports the span in partial_success`, async () => {
      kind = answer;
      const { exitCode, result, output } = await runApp(endpoint, ['hostile-bridge']);
      expect(exitCode, output).to.equal(0);
      expect(result.grownMb, output).to.be.lessThan(100);
      expect(result.status).to.equal(200);
      expect(JSON.parse(result.body).partialSuccess.rejectedSpans).to.equal('1');
      expect(result.stats.dropped.conversation_rejected).to.equal(1);
    });
  }
});
