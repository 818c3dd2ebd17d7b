import { expect } from 'chai';
import { runNode } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

/*
 * A function frozen by its platform while its requests are on the wire, then thawed (issue 27).
 * Emulated the way it behaves: SIGSTOP of the whole process (all its threads), SIGCONT after a
 * freeze longer than the request timeout, while the API (another process) answers meanwhile. On
 * thaw the clock has jumped past every deadline and timers run before sockets are read: the
 * answers already waiting were judged missing and the requests sent again (one message stored 4×).
 * The receiver ignores Idempotency-Key, as the contract's API does: a duplicate would be stored.
 */
describe('reliability: a frozen and thawed process stores nothing twice', function () {
  this.timeout(90_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY, ignoreIdempotencyKey: true });

  /**
   * Runs the freeze app (20 conversations: 80 requests), freezes it once the API has answered 25
   * (the answers of those on the wire come while it is stopped), thaws it, and checks every record
   * and item reached the API once.
   */
  async function freezeWhileInFlight(args: string[], latencyMillis: number, freezeMillis: number): Promise<void> {
    receiver().setLatency(latencyMillis);
    const app = runNode('build/test/fixtures/freeze-app.js', args, { AGENTSIGHT_API_ENDPOINT: receiver().url });
    try {
      await app.waitFor(/^exported$/m);
      const deadline = Date.now() + 10_000;
      while (receiver().requests.length < 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      app.child.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, freezeMillis));
      app.child.kill('SIGCONT');
      const { stats, error } = JSON.parse((await app.waitFor(/^result (.*)$/m, 60_000))[1] as string) as {
        stats: { delivered: number };
        error?: string;
      };
      expect(error, 'the flush after the thaw').to.equal(undefined);
      expect(stats.delivered).to.equal(60);
    } finally {
      await app.stop('SIGKILL');
    }
    const stored = receiver().store.records;
    const keys = stored.map((r) => `${r.kind} ${r.conversationId} ${JSON.stringify(r.body)}`);
    expect(keys.length - new Set(keys).size, 'stored twice').to.equal(0);
    expect(stored.filter((r) => r.kind !== 'conversation')).to.have.length(60);
    // A conversation record POSTed twice is one record with two create calls.
    const created = receiver().store.conversations.map((c) => c.createCalls);
    expect(
      created.filter((calls) => calls > 1),
      'conversation records POSTed twice',
    ).to.deep.equal([]);
    expect(receiver().requests.length, 'requests the API saw: one per record and item').to.equal(80);
    for (let i = 0; i < 20; i += 7) {
      expect(
        receiver()
          .store.recordsOf(`frozen-${i}`)
          .map((r) => r.kind),
      ).to.deep.equal(['conversation', 'message', 'action', 'message']);
    }
  }

  for (const mode of ['thread', 'main']) {
    it(`delivery ${mode === 'thread' ? 'on its thread' : 'on the main thread'}: a 3 s freeze with requests in flight (timeout 2 s)`, () =>
      freezeWhileInFlight([mode, '20'], 300, 3_000));
  }

  for (const freezeMillis of [5_000, 11_000]) {
    it(`delivery on its thread, default request timeout (10 s): a ${freezeMillis / 1000} s freeze with requests in flight`, () =>
      freezeWhileInFlight(['thread', '20', 'default-timeout'], 100, freezeMillis));
  }
});
