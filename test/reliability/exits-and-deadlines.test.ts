import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { runNode } from '../helpers/processes';
import { useReceiver } from '../helpers/receiver';

/** A port nothing listens on: connections are refused at once. */
async function refusedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function runApp(endpoint: string, args: string[], env: Record<string, string> = {}) {
  const child = runNode('build/test/fixtures/reliability-app.js', args, {
    AGENTSIGHT_API_ENDPOINT: endpoint,
    AGENTSIGHT_LOG_LEVEL: 'NONE',
    ...env,
  });
  const started = Date.now();
  const exitCode = await child.exited();
  const output = child.output();
  const line = /^result (.*)$/m.exec(output);
  return { exitCode, output, millis: Date.now() - started, result: line ? JSON.parse(line[1] as string) : undefined };
}

describe('reliability: exits and deadlines', function () {
  this.timeout(120_000);
  let unavailable: Server;
  let unavailableEndpoint = '';
  before(async () => {
    unavailable = createServer((request, response) => {
      request.resume();
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"detail":"down for maintenance"}');
    });
    await new Promise<void>((resolve) => unavailable.listen(0, '127.0.0.1', resolve));
    unavailableEndpoint = `http://127.0.0.1:${(unavailable.address() as AddressInfo).port}`;
  });
  after(() => {
    unavailable.closeAllConnections();
    unavailable.close();
  });

  for (const api of ['refuses connections', 'answers 503'] as const) {
    for (const mode of ['thread', 'main'] as const) {
      it(`an awaited flush and shutdown settle by their deadlines and the code after them runs (${mode}, API ${api})`, async () => {
        const endpoint = api === 'answers 503' ? unavailableEndpoint : await refusedEndpoint();
        const { exitCode, output } = await runApp(endpoint, ['await-flush', mode, '5']);
        expect(exitCode, output).to.equal(0);
        const flush = /^after-flush (\d+)$/m.exec(output);
        const shutdown = /^after-shutdown (\d+)$/m.exec(output);
        expect(flush, `the code after await forceFlush() ran:\n${output}`).to.not.equal(null);
        expect(shutdown, `the code after await shutdown() ran:\n${output}`).to.not.equal(null);
        // flushTimeoutMillis and shutdownTimeoutMillis are 3 s each; 2 s of grace for the thread.
        expect(Number(flush?.[1])).to.be.lessThan(5_500);
        expect(Number(shutdown?.[1])).to.be.lessThan(5_500);
      });
    }
  }

  for (const mode of ['thread', 'main'] as const) {
    it(`a process that returns from main with 4,000 items queued says so on stderr and counts them (${mode})`, async () => {
      const { exitCode, output, result } = await runApp(await refusedEndpoint(), ['exit-queued', mode, '2000']);
      expect(exitCode, output).to.equal(0);
      const said = output.match(
        /agentsight-otel: the process is exiting with (\d+) AgentSight item\(s\) still queued/g,
      );
      expect(said, output).to.have.length(1);
      expect(output).to.include('4000 AgentSight item(s) still queued');
      expect(output).to.include('OpenTelemetry Collector');
      expect(result?.dropped.process_exit, output).to.equal(4000);
      const others = Object.entries(result?.dropped ?? {}).filter(
        ([reason, n]) => reason !== 'process_exit' && n !== 0,
      );
      expect(others).to.deep.equal([]);
    });
  }

  it('says nothing at exit when everything was delivered', async () => {
    const receiver = await import('agentsight-otel/dev-server').then((m) => m.startDevServer());
    try {
      const { output, result } = await runApp(receiver.url, ['await-flush', 'thread', '5']);
      expect(output).to.not.include('the process is exiting');
      expect(result).to.equal(undefined);
      expect(receiver.store.records.filter((r) => r.kind === 'message')).to.have.length(10);
    } finally {
      await receiver.close();
    }
  });

  describe('a deadline delivers whole conversations, oldest first', () => {
    const receiver = useReceiver({ latencyMs: 300 });

    it('20,000 turns queued against a 300 ms API: at a 5 s shutdown, conversations go whole, at most one slot each partial', async function () {
      this.timeout(180_000);
      const { exitCode, output, result } = await runApp(receiver().url, ['deadline', 'thread', '20000'], {
        SHUTDOWN_MILLIS: '5000',
      });
      expect(exitCode, output).to.equal(0);
      const byConversation = new Map<string, string[]>();
      for (const record of receiver().store.records) {
        byConversation.set(record.conversationId, [...(byConversation.get(record.conversationId) ?? []), record.kind]);
      }
      const whole = [...byConversation.values()].filter((kinds) => kinds.length === 3).length;
      const partial = byConversation.size - whole;
      // Before: 8,143 records and 0 of 40,000 items. Now each slot finishes its conversation
      // before it takes a new one, so only those on the wire at the deadline are partial.
      expect(whole, output).to.be.greaterThan(500);
      expect(partial, `${partial} partial of ${byConversation.size}`).to.be.at.most(256);
      // Every item is accounted for once: delivered, or dropped at the deadline. A request still on
      // the wire when the deadline cut it may have been stored without the app hearing so: at
      // most one per slot.
      const { delivered, dropped } = result.stats;
      const lost = Object.values(dropped as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(delivered + lost, JSON.stringify(result.stats)).to.equal(40_000);
      expect(dropped.shutdown).to.equal(lost);
      const messages = receiver().store.records.filter((r) => r.kind === 'message').length;
      expect(messages - delivered).to.be.within(0, 256);
      expect(result.shutdownMillis).to.be.lessThan(8_000);
    });
  });
});
