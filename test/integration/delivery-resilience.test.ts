import { trace } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AgentSightDeliveryError,
  type AgentSightProcessorOptions,
  AgentSightSpanProcessor,
  TrackAction,
  TrackConversation,
  trackConversation,
  trackHumanMessage,
} from 'agentsight-otel';
import type { StoredRecord } from 'agentsight-otel/dev-server';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Tools {
  @TrackAction('lookup')
  lookup(turn: number): string {
    return `result ${turn}`;
  }
}

class Agent {
  private readonly tools = new Tools();

  @TrackConversation({
    conversationId: (id: string) => id,
    humanMessage: (_id: string, turn: number) => `question ${turn}`,
  })
  async handle(_id: string, turn: number): Promise<string> {
    await sleep(1);
    this.tools.lookup(turn);
    return `answer ${turn}`;
  }
}

/** What a conversation of `turns` turns must look like at the receiver, in order. */
function expectedStory(turns: number): string[] {
  const story = ['conversation'];
  for (let turn = 0; turn < turns; turn++) story.push(`question ${turn}`, `action result ${turn}`, `answer ${turn}`);
  return story;
}

function story(records: readonly StoredRecord[]): string[] {
  return records.map((r) => {
    const body = r.body as Record<string, unknown>;
    if (r.kind === 'message') return String(body.content);
    if (r.kind === 'action') return `action ${String(body.response)}`;
    return r.kind;
  });
}

/**
 * Delivery against the world as it is: a slow API, an API that refuses connections or hangs, a
 * burst of conversations, a small budget, broken spans. Default options unless a test says so;
 * times are generous safety limits, never benchmarks (`npm run bench -- delivery-latency`).
 */
describe('delivery when the API is slow, down or overwhelmed', function () {
  this.timeout(120_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let sdk: NodeSDK | undefined;
  let processor: AgentSightSpanProcessor;
  const agent = new Agent();

  function start(options: AgentSightProcessorOptions = {}): AgentSightSpanProcessor {
    processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: receiver().url, ...options });
    sdk = startSdk({ spanProcessors: [processor] });
    return processor;
  }

  afterEach(async () => {
    await stopSdk(sdk);
    sdk = undefined;
  });

  function expectComplete(ids: readonly string[], turns: number): void {
    const expected = expectedStory(turns);
    for (const id of ids) expect(story(receiver().store.recordsOf(id)), id).to.deep.equal(expected);
    const keys = receiver().store.records.map((r) => r.idempotencyKey);
    expect(new Set(keys).size, 'nothing stored twice').to.equal(keys.length);
    expect(receiver().store.records).to.have.length(ids.length * expected.length);
  }

  it('delivers a burst of 200 conversations × 3 turns from an API answering in 100 ms: none lost, each in order', async () => {
    receiver().setLatency(100);
    start();
    const ids = Array.from({ length: 200 }, (_, i) => `burst-${i}`);
    await Promise.all(
      ids.map(async (id) => {
        for (let turn = 0; turn < 3; turn++) await agent.handle(id, turn);
      }),
    );
    const flushStarted = Date.now();
    await processor.forceFlush();
    const flushMillis = Date.now() - flushStarted;
    expectComplete(ids, 3);
    const stats = processor.stats();
    expect(stats).to.deep.include({ delivered: 200 * 9, conversationsCreated: 200 });
    expect(Object.values(stats.dropped).reduce((a, b) => a + b, 0)).to.equal(0);
    // 2,000 requests, 10 in a row per conversation at 100 ms each: the limit is about 1 s of
    // waiting per conversation; 30 s is a safety bound (the first version took 24 s and lost 149).
    expect(flushMillis, 'flush time').to.be.lessThan(30_000);
  });

  it('rides out 30 s of refused connections during a 35 s stream at 40 turns/s: none lost, none stored twice', async () => {
    start();
    await receiver().stopListening();
    const reopen = sleep(30_000).then(() => receiver().listenAgain());
    const ids = Array.from({ length: 100 }, (_, i) => `outage-${i}`);
    const turns = 14; // 100 conversations × 14 turns = 1,400 turns in 35 s
    const started = Date.now();
    for (let turn = 0; turn < turns; turn++) {
      const wave = ids.map((id, i) => sleep((i * 2_500) / ids.length).then(() => agent.handle(id, turn)));
      await Promise.all(wave);
    }
    expect(Date.now() - started).to.be.greaterThan(30_000);
    await reopen;
    const during = processor.stats();
    expect(during.dropped.max_age + during.dropped.queue_full).to.equal(0);
    await processor.forceFlush();
    expectComplete(ids, turns);
    expect(processor.stats()).to.deep.include({ delivered: 1_400 * 3, conversationsCreated: 100 });
  });

  it('sends one probe at a time while the API hangs, and delivers everything once it answers', async () => {
    start({ timeoutMillis: 500 });
    receiver().setHanging(true);
    const ids = Array.from({ length: 40 }, (_, i) => `hang-${i}`);
    await Promise.all(ids.map((id) => agent.handle(id, 0)));
    await sleep(4_500); // the processor hands the spans over within a second; then they wait
    const sent = receiver().requests.length;
    // The first wave (16 at most) hung and timed out; then the circuit opened: one probe at a
    // time, each hanging 500 ms, about one per second. One request per waiting conversation
    // (40, again and again) would be far more.
    expect(sent, 'requests while hanging').to.be.lessThan(16 + 12);
    expect(processor.stats().circuit).to.not.equal('closed');
    receiver().setHanging(false);
    await processor.forceFlush();
    expectComplete(ids, 1);
  });

  it('holds every request back for a Retry-After, endpoint-wide', async () => {
    start();
    receiver().faults.script({ status: 429, retryAfter: 1 });
    const ids = Array.from({ length: 20 }, (_, i) => `retry-after-${i}`);
    await Promise.all(ids.map((id) => agent.handle(id, 0)));
    await processor.forceFlush();
    expectComplete(ids, 1);
    const refusal = receiver().requests.find((r) => r.status === 429);
    expect(refusal).to.not.equal(undefined);
    const at = refusal?.at ?? 0;
    const duringPause = receiver().requests.filter((r) => r.at > at + 100 && r.at < at + 900);
    expect(duringPause, 'requests inside the Retry-After window').to.have.length(0);
  });

  it('counts what a tiny byte budget drops, warns once, and rejects shutdown with the counts', async () => {
    const diag = captureDiag();
    let error: unknown;
    try {
      start({ maxQueueBytes: 16 * 1024, scheduledDelayMillis: 60_000 });
      receiver().setLatency(50);
      const ids = Array.from({ length: 40 }, (_, i) => `tiny-${i}`);
      await Promise.all(ids.map((id) => agent.handle(id, 0)));
      await sdk?.shutdown().catch((e: unknown) => {
        error = e;
      });
      sdk = undefined;
    } finally {
      diag.restore();
    }
    const stats = processor.stats();
    expect(stats.dropped.queue_full, 'drops counted as queue_full').to.be.greaterThan(0);
    expect(error).to.be.instanceOf(AgentSightDeliveryError);
    expect((error as AgentSightDeliveryError).dropped).to.deep.equal({ queue_full: stats.dropped.queue_full });
    expect((error as AgentSightDeliveryError).message).to.match(/\d+ item\(s\) were not delivered \(\d+ queue_full\)/);
    expect(stats.delivered + stats.dropped.queue_full, 'every item accounted for').to.equal(40 * 3);
    expect(receiver().store.records).to.have.length(stats.delivered + stats.conversationsCreated);
    const lossWarnings = diag.warnings.filter((w) => w.includes('not delivered'));
    expect(lossWarnings, lossWarnings.join('\n')).to.have.length(1);
  });

  it('delivers every good conversation of a batch that also holds malformed spans', async () => {
    const diag = captureDiag();
    try {
      start({ maxExportBatchSize: 1_000, scheduledDelayMillis: 60_000 });
      const tracer = trace.getTracer('hostile');
      for (let i = 0; i < 20; i++) {
        trackConversation({ conversationId: `good-${i}` }, () => {
          trackHumanMessage(`hello ${i}`);
          const conversation = { [semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]: `good-${i}` };
          // Interleaved with the good ones, in the same batch:
          tracer.startSpan('nan-times', { startTime: new Date(Number.NaN), attributes: conversation }).end();
          tracer.startSpan('nan-end', { attributes: conversation }).end(new Date(Number.NaN));
          for (const kind of ['constructor', '__proto__', 'hasOwnProperty', 'valueOf', 'toString']) {
            tracer
              .startSpan(`kind-${kind}`, { attributes: { ...conversation, [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: kind } })
              .end();
          }
          tracer
            .startSpan('wrong-types', {
              attributes: {
                ...conversation,
                [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: 'message',
                [semconv.ATTR_AGENTSIGHT_MESSAGE_SENDER]: 'end_user',
                [semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]: [1, 2, 3],
                [semconv.ATTR_AGENTSIGHT_MESSAGE_METADATA]: 42,
              },
            })
            .end();
        });
      }
      await processor.forceFlush().catch(() => undefined);
    } finally {
      diag.restore();
    }
    for (let i = 0; i < 20; i++) {
      expect(story(receiver().store.recordsOf(`good-${i}`)), `good-${i}`).to.deep.equal(['conversation', `hello ${i}`]);
    }
    const stats = processor.stats();
    expect(stats.dropped.unreadable_span, 'the unreadable spans, counted').to.equal(20 * 3);
    expect(diag.warnings.some((w) => w.includes('"nan-times"') && w.includes('not a valid time'))).to.equal(true);
  });

  it('finishes the work at shutdown from an API answering in 300 ms', async () => {
    receiver().setLatency(300);
    start();
    const ids = Array.from({ length: 50 }, (_, i) => `sigterm-${i}`);
    await Promise.all(ids.map((id) => agent.handle(id, 0)));
    await sdk?.shutdown();
    sdk = undefined;
    expectComplete(ids, 1);
  });

  it('gives up at once at shutdown when the API refuses connections, counting what it drops', async () => {
    start();
    await receiver().stopListening();
    try {
      const ids = Array.from({ length: 10 }, (_, i) => `unreachable-${i}`);
      await Promise.all(ids.map((id) => agent.handle(id, 0)));
      const started = Date.now();
      const error = await sdk?.shutdown().then(
        () => undefined,
        (e: unknown) => e,
      );
      sdk = undefined;
      expect(Date.now() - started, 'shutdown time').to.be.lessThan(5_000);
      expect(error).to.be.instanceOf(AgentSightDeliveryError);
      expect((error as AgentSightDeliveryError).dropped).to.deep.equal({ shutdown: 10 * 3 });
    } finally {
      await receiver().listenAgain();
    }
  });
});
