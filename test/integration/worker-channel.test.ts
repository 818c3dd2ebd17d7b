import { trackConversation, trackHumanMessage } from 'agentsight-otel';
import { expect } from 'chai';
import { inThreadChannel } from '#internal/exporter/delivery-channel';
import { toConversationPlans } from '#internal/exporter/mapping';
import { WorkerChannel } from '#internal/exporter/worker-channel';
import { captureDiag } from '../helpers/diag';
import { runNode } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { useTracing } from '../helpers/tracing';

describe('delivery thread', () => {
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  const tracing = useTracing();

  const settings = () => ({
    endpoint: receiver().url,
    headers: { authorization: `Api-Key ${TEST_API_KEY}` },
    delivery: {
      requestTimeoutMillis: 2_000,
      maxRetries: 2,
      backoff: { initialDelayMillis: 10, maxDelayMillis: 50, multiplier: 1.5, jitter: 0.2 },
      concurrency: 4,
      maxCachedConversations: 100,
    },
  });

  const plansFor = (conversationId: string) => {
    trackConversation({ conversationId }, () => trackHumanMessage(`hello from ${conversationId}`));
    return toConversationPlans(tracing().spans(), { environment: 'development', maxFieldLength: 1000 }).plans;
  };

  it('delivers from a worker thread', async () => {
    const channel = new WorkerChannel(settings(), () => {
      throw new Error('no fallback expected');
    });
    const report = await channel.deliver(plansFor('in-worker'), Date.now() + 10_000);
    await channel.close();
    expect(report).to.deep.include({ delivered: 2, failures: [] });
    expect(
      receiver()
        .store.recordsOf('in-worker')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message']);
  });

  it('falls back to the main thread, with a warning, when the worker cannot start', async () => {
    const diag = captureDiag();
    const channel = new WorkerChannel(settings(), () => inThreadChannel(settings()), '/nonexistent/delivery-worker.js');
    try {
      const report = await channel.deliver(plansFor('fallback'), Date.now() + 10_000);
      expect(report.failures).to.deep.equal([]);
      const again = await channel.deliver(plansFor('fallback-2'), Date.now() + 10_000);
      expect(again.failures).to.deep.equal([]);
    } finally {
      await channel.close();
      diag.restore();
    }
    expect(receiver().store.recordsOf('fallback')).to.have.length(2);
    expect(diag.warnings.filter((w) => w.includes('delivery thread is unavailable'))).to.have.length(1);
  });

  it('logs through OTel diag at AGENTSIGHT_LOG_LEVEL when the app set no logger', async function () {
    this.timeout(20_000);
    const quiet = runNode('build/test/helpers/export-and-end.js', [receiver().url, TEST_API_KEY]);
    expect(await quiet.exited()).to.equal(0);
    expect(quiet.output()).not.to.contain('delivered');
    const verbose = runNode('build/test/helpers/export-and-end.js', [receiver().url, TEST_API_KEY], {
      AGENTSIGHT_LOG_LEVEL: 'debug',
    });
    expect(await verbose.exited()).to.equal(0);
    expect(verbose.output()).to.match(/delivered 2 AgentSight requests \(0 retries\)/);
    expect(verbose.output()).not.to.contain(TEST_API_KEY);
  });

  it('keeps a process alive only while it delivers', async function () {
    this.timeout(20_000);
    // A script that exports once and then simply ends, without shutdown.
    const script = runNode('build/test/helpers/export-and-end.js', [receiver().url, TEST_API_KEY]);
    const started = Date.now();
    expect(await script.exited(), script.output()).to.equal(0);
    expect(Date.now() - started, 'the idle worker does not hold the process').to.be.lessThan(8_000);
    expect(
      receiver()
        .store.recordsOf('export-and-end')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message']);
  });
});
