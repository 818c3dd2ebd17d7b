import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as first from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { ROOT } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startTracing, stopTracing } from '../helpers/tracing';

/*
 * Two copies of the package in one process, as a bundler makes them (Next.js gives a route's
 * bundle its own copy), a monorepo or npm's nesting (issue 27: the mask set in instrumentation.ts
 * did not reach the route's copy, which sent an e-mail address in clear). The second copy is the
 * built package copied to another folder: its own modules, the same @opentelemetry/api.
 */
describe('two copies of the package in one process', function () {
  this.timeout(30_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY, ignoreIdempotencyKey: true });
  let second: typeof first;

  before(() => {
    const copy = join(ROOT, 'build/second-copy/node_modules/agentsight-otel');
    mkdirSync(copy, { recursive: true });
    cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
    second = require(copy) as typeof first;
    expect(second.configureAgentSight, 'truly a second copy').to.not.equal(first.configureAgentSight);
  });
  afterEach(() => first.configureAgentSight({ mask: undefined }));

  it('masks in every copy with the mask one copy configured', async () => {
    const tracing = startTracing();
    try {
      first.configureAgentSight({ mask: first.maskPersonalData });
      second.trackConversation({ conversationId: 'two-copies-mask' }, () =>
        second.trackHumanMessage('write to jane.doe@example.com'),
      );
      const contents = tracing
        .spans()
        .map((s) => s.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT])
        .filter(Boolean);
      expect(contents).to.have.length(1);
      expect(String(contents[0])).to.not.include('jane.doe@example.com');
      // And unset from the other copy: one setting for the process.
      second.configureAgentSight({ mask: undefined });
      first.trackConversation({ conversationId: 'two-copies-clear' }, () => first.trackHumanMessage('a@b.example'));
      expect(tracing.spans().map((s) => s.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT])).to.include(
        'a@b.example',
      );
    } finally {
      await stopTracing(tracing);
    }
  });

  it("flushAgentSight() of one copy flushes the other copy's processor, and says what it delivered", async () => {
    receiver().setLatency(50);
    const processor = new second.AgentSightSpanProcessor({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      deliveryThread: false,
      scheduledDelayMillis: 60_000, // nothing leaves before a flush
    });
    const tracing = startTracing([processor as unknown as SpanProcessor]);
    try {
      second.trackConversation({ conversationId: 'two-copies-flush' }, () => {
        second.trackHumanMessage('question');
        second.trackAgentMessage('answer');
      });
      const summary = await first.flushAgentSight({ timeoutMillis: 5_000 });
      expect(summary).to.deep.include({ delivered: 2, stillQueued: 0, timedOut: false, dropped: {} });
      expect(summary.flushed).to.be.at.least(1);
      expect(
        receiver()
          .store.recordsOf('two-copies-flush')
          .map((r) => r.kind),
      ).to.deep.equal(['conversation', 'message', 'message']);
      // A flush that cannot finish in time says so, by its deadline.
      receiver().setHanging(true);
      second.trackConversation({ conversationId: 'two-copies-hang' }, () => second.trackHumanMessage('q'));
      const started = Date.now();
      const late = await first.flushAgentSight({ timeoutMillis: 300 });
      expect(Date.now() - started).to.be.below(1_500);
      expect(late.timedOut).to.equal(true);
      expect(late.stillQueued).to.be.at.least(1);
      receiver().setHanging(false);
    } finally {
      await processor.shutdown().catch(() => undefined);
      await stopTracing(tracing);
    }
  });

  it("reads GenAI events kept by one copy's log processor in the other copy's span processor", async () => {
    const processor = new second.AgentSightSpanProcessor({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      deliveryThread: false,
    });
    const tracing = startTracing([processor as unknown as SpanProcessor]);
    const logs = new first.AgentSightLogRecordProcessor();
    try {
      const { trace } = await import('@opentelemetry/api');
      const parent = trace
        .getTracer('two')
        .startSpan('turn', { attributes: { 'gen_ai.conversation.id': 'two-events' } });
      const call = trace
        .getTracer('two')
        .startSpan(
          'chat',
          { attributes: { 'gen_ai.operation.name': 'chat' } },
          trace.setSpan((await import('@opentelemetry/api')).context.active(), parent),
        );
      logs.onEmit({
        eventName: 'gen_ai.user.message',
        body: { content: 'from events' },
        spanContext: call.spanContext(),
      });
      call.end();
      parent.end();
      await processor.forceFlush();
      expect(
        receiver()
          .store.recordsOf('two-events')
          .filter((r) => r.kind === 'message')
          .map((r) => r.body.content),
      ).to.deep.equal(['from events']);
    } finally {
      await processor.shutdown().catch(() => undefined);
      await stopTracing(tracing);
    }
  });
});
