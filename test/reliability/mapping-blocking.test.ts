import { context, trace } from '@opentelemetry/api';
import { BatchSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AgentSightLogRecordProcessor, AgentSightSpanExporter } from 'agentsight-otel';
import { expect } from 'chai';
import { MAX_NEW_MESSAGES_PER_CALL } from '#internal/mapping/genai/genai-items';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startTracing, stopTracing, useTracing } from '../helpers/tracing';

/*
 * Issue 30: mapping ran on the application's thread in one piece. One export of 64 LLM calls with
 * 2 MB histories blocked it for 283 ms (128 of 0.5 MB: 155 ms); one call of 230,000 user messages
 * made 128,154 items, refused as queue_full.
 */

type Part = { type: string; content: string };
const message = (role: string, content: string) => ({ role, parts: [{ type: 'text', content }] as Part[] });

describe('reliability: mapping never blocks the application for long', function () {
  this.timeout(60_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY, ignoreIdempotencyKey: true });
  const tracing = useTracing();

  /** A chat call of `conversationId` with a history of about `megabytes` MB, then a new question. */
  function longCall(conversationId: string, megabytes: number): void {
    const history: ReturnType<typeof message>[] = [];
    for (let size = 0, n = 0; size < megabytes * 1024 * 1024; n++) {
      const text = `turn ${n} of ${conversationId}: ${'lorem ipsum dolor sit amet '.repeat(40)}`;
      history.push(message(n % 2 === 0 ? 'user' : 'assistant', text));
      size += text.length + 50;
    }
    if (history.length % 2 === 1) history.push(message('assistant', 'ok')); // the history ends with an answer
    const span = trace.getTracer('blocking').startSpan('chat', {
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.conversation.id': conversationId,
        'gen_ai.input.messages': JSON.stringify([...history, message('user', `question of ${conversationId}`)]),
        'gen_ai.output.messages': JSON.stringify([
          { ...message('assistant', `answer of ${conversationId}`), finish_reason: 'stop' },
        ]),
      },
    });
    span.end();
  }

  /** Runs `work`, and returns the longest the event loop was held while it ran and until `settled`. */
  async function longestBlock(work: () => Promise<void>): Promise<number> {
    let longest = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    last = performance.now();
    await work();
    longest = Math.max(longest, performance.now() - last);
    clearInterval(ticker);
    return longest;
  }

  it('a 2 MB × 64-call export holds the thread ≤ 50 ms at a time, and delivers each question and answer once, in order', async () => {
    for (let c = 0; c < 64; c++) longCall(`long-${c}`, 2);
    const spans = tracing().spans() as ReadableSpan[];
    const exporter = new AgentSightSpanExporter({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      deliveryThread: false,
    });
    // A small export right after the long one must not overtake it.
    context.with(context.active(), () => longCall('after-long', 0.01));
    const after = (tracing().spans() as ReadableSpan[]).slice(64);
    const results: number[] = [];
    const block = await longestBlock(
      () =>
        new Promise<void>((done) => {
          exporter.export(spans, (r) => results.push(r.code));
          exporter.export(after, (r) => {
            results.push(r.code);
            done();
          });
        }),
    );
    await exporter.forceFlush();
    await exporter.shutdown();
    console.log(`      (longest block of the export: ${Math.round(block)} ms; 283 ms before)`);
    expect(results).to.deep.equal([0, 0]);
    expect(block, 'ms the application was held at a time').to.be.below(50);
    for (const id of ['long-0', 'long-63', 'after-long']) {
      const story = receiver()
        .store.recordsOf(id)
        .map((r) => (r.kind === 'message' ? `${r.body.sender}: ${r.body.content}` : r.kind));
      expect(story).to.deep.equal(['conversation', `end_user: question of ${id}`, `agent: answer of ${id}`]);
    }
    // The small export's conversation came after every long one: hand-overs kept their order.
    const firsts = receiver()
      .store.records.filter((r) => r.kind === 'conversation')
      .map((r) => r.conversationId);
    expect(firsts.at(-1)).to.equal('after-long');
  });

  it('reads at most 1,000 new messages of one call, its last ones, and counts the rest as too_many_messages', async () => {
    const questions = Array.from({ length: 5_000 }, (_, n) => message('user', `q${n}`));
    trace
      .getTracer('blocking')
      .startSpan('chat', {
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.conversation.id': 'many-questions',
          'gen_ai.input.messages': JSON.stringify(questions),
        },
      })
      .end();
    const exporter = new AgentSightSpanExporter({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      deliveryThread: false,
    });
    exporter.export(tracing().spans() as ReadableSpan[], () => undefined);
    const flushed = await exporter.forceFlush().then(
      () => undefined,
      (error: Error) => error,
    );
    const stats = exporter.stats();
    await exporter.shutdown().catch(() => undefined);
    expect(stats.dropped.too_many_messages).to.equal(5_000 - MAX_NEW_MESSAGES_PER_CALL);
    expect(flushed?.message).to.match(/4000 too_many_messages/);
    const sent = receiver()
      .store.recordsOf('many-questions')
      .filter((r) => r.kind === 'message')
      .map((r) => r.body.content);
    expect(sent).to.have.length(MAX_NEW_MESSAGES_PER_CALL);
    expect(sent[0]).to.equal('q4000');
    expect(sent.at(-1)).to.equal('q4999');
  });
});

describe('zero code in the composed set-up: BatchSpanProcessor around AgentSightSpanExporter', function () {
  this.timeout(30_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY, ignoreIdempotencyKey: true });

  it('reads the GenAI events AgentSightLogRecordProcessor kept (issue 30: 0 conversations, the events kept forever)', async () => {
    const exporter = new AgentSightSpanExporter({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      deliveryThread: false,
    });
    const batch = new BatchSpanProcessor(exporter as never, { scheduledDelayMillis: 10 });
    const tracing = startTracing([batch]);
    const logs = new AgentSightLogRecordProcessor();
    try {
      const tracer = trace.getTracer('composed');
      const turn = tracer.startSpan('turn', { attributes: { 'gen_ai.conversation.id': 'composed-events' } });
      const call = tracer.startSpan(
        'chat',
        { attributes: { 'gen_ai.operation.name': 'chat' } },
        trace.setSpan(context.active(), turn),
      );
      logs.onEmit({
        eventName: 'gen_ai.user.message',
        body: { content: 'asked through events' },
        spanContext: call.spanContext(),
      });
      logs.onEmit({
        eventName: 'gen_ai.choice',
        body: { message: { content: 'answered through events' }, finish_reason: 'stop' },
        spanContext: call.spanContext(),
      });
      call.end();
      turn.end();
      await batch.forceFlush();
      await exporter.forceFlush();
    } finally {
      await stopTracing(tracing);
    }
    expect(
      receiver()
        .store.recordsOf('composed-events')
        .filter((r) => r.kind === 'message')
        .map((r) => `${r.body.sender}: ${r.body.content}`),
    ).to.deep.equal(['end_user: asked through events', 'agent: answered through events']);
  });
});
