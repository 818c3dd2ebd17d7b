import { expect } from 'chai';
import { runNode } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

/*
 * A Lambda-style runtime loop (an emulation: see test/fixtures/lambda/runtime.ts): 10
 * invocations, the whole process frozen between them, then reclaimed with SIGKILL and no
 * shutdown. Issue 27: 25 of 35 items lost with no word. The receiver ignores Idempotency-Key.
 */
describe('reliability: a Lambda-style runtime (frozen between invocations, SIGKILLed at reclaim)', function () {
  this.timeout(120_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY, ignoreIdempotencyKey: true });

  for (const [mode, latency] of [
    ['bare', 0],
    ['bare', 50],
    ['bare', 100],
    ['instrumented', 0],
    ['instrumented', 50],
    ['instrumented', 100],
  ] as const) {
    const how =
      mode === 'bare' ? 'a bare handler that awaits flushAgentSight()' : '@opentelemetry/instrumentation-aws-lambda';
    it(`with ${how}, API at ${latency} ms: every item at the API before each freeze, none twice, none lost at the SIGKILL`, async () => {
      receiver().setLatency(latency);
      const runtime = runNode(
        'build/test/fixtures/lambda/runtime.js',
        [mode],
        { AGENTSIGHT_API_ENDPOINT: receiver().url },
        'pipe',
      );
      try {
        await runtime.waitFor(/^ready$/m);
        for (let n = 1; n <= 10; n++) {
          runtime.child.stdin?.write(`question ${n}\n`);
          await runtime.waitFor(new RegExp(`^done ${n}$`, 'm'));
          // Everything this invocation recorded is at the API before the platform freezes it.
          const items = receiver()
            .store.recordsOf('lambda-conversation')
            .filter((r) => r.kind !== 'conversation');
          expect(items, `after invocation ${n}`).to.have.length(3 * n);
          runtime.child.kill('SIGSTOP');
          await new Promise((resolve) => setTimeout(resolve, 300));
          runtime.child.kill('SIGCONT');
        }
      } finally {
        await runtime.stop('SIGKILL'); // reclaimed: no shutdown runs
      }
      const records = receiver().store.recordsOf('lambda-conversation');
      const lines = records.map((r) => (r.kind === 'message' ? `${r.body.sender}: ${r.body.content}` : r.kind));
      expect(lines.filter((l) => l === 'conversation')).to.have.length(1);
      expect(lines.filter((l) => l.startsWith('end_user'))).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => `end_user: question ${i + 1}`),
      );
      expect(records.filter((r) => r.kind === 'action')).to.have.length(10);
      expect(receiver().store.conversation('lambda-conversation')?.createCalls, 'the record POSTed once').to.equal(1);
      expect(receiver().requests.length, 'one request per record and item').to.equal(31);
    });
  }
});
