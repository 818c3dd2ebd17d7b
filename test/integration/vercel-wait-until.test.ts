import { context, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AgentSightSpanProcessor, trackAgentMessage, trackConversation, trackHumanMessage } from 'agentsight-otel';
import { expect } from 'chai';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { captureStderr } from '../helpers/stderr';
import { startTracing, stopTracing } from '../helpers/tracing';

/*
 * Vercel keeps a function alive for what it is handed through `waitUntil` of the request context
 * it exposes on `globalThis[Symbol.for('@vercel/request-context')]` (what `@vercel/otel` and
 * `@vercel/functions` read). Vercel's runtime cannot run here: this is an emulation of that
 * documented global, one context per request, recording what it was asked to wait for.
 */
describe("Vercel's waitUntil (an emulation of the platform's request context)", function () {
  this.timeout(30_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY, ignoreIdempotencyKey: true });
  const KEY = Symbol.for('@vercel/request-context');
  const holder = globalThis as { [KEY]?: unknown };
  afterEach(() => {
    delete holder[KEY];
  });

  it('hands the platform a promise that settles once the request’s turn is delivered, with no flush in the app', async () => {
    const waited: Promise<unknown>[] = [];
    holder[KEY] = { get: () => ({ waitUntil: (promise: Promise<unknown>) => waited.push(promise) }) };
    receiver().setLatency(100);
    const processor = new AgentSightSpanProcessor({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      scheduledDelayMillis: 60_000, // nothing would leave before the platform froze the function
    });
    const tracing = startTracing([processor as unknown as SpanProcessor]);
    try {
      await trackConversation({ conversationId: 'vercel-turn' }, async () => {
        trackHumanMessage('question');
        await new Promise((resolve) => setTimeout(resolve, 10));
        trackAgentMessage('answer');
      });
      expect(waited, 'one promise for the request’s root span').to.have.length(1);
      // A request that came with a traceparent (Vercel's proxy sends one): its first span is the root here.
      const remote = trace.setSpanContext(context.active(), {
        traceId: 'ab'.repeat(16),
        spanId: 'cd'.repeat(8),
        traceFlags: 1,
        isRemote: true,
      });
      context.with(remote, () => trackConversation({ conversationId: 'vercel-remote' }, () => trackHumanMessage('q')));
      expect(waited, 'and one for a request with a remote parent').to.have.length(2);
      expect(receiver().store.recordsOf('vercel-turn'), 'nothing yet: the app returned').to.deep.equal([]);
      await Promise.all(waited);
      expect(
        receiver()
          .store.recordsOf('vercel-remote')
          .map((r) => r.kind),
      ).to.deep.equal(['conversation', 'message']);
      // What the platform waited for is what reached the API: the function may be frozen now.
      expect(
        receiver()
          .store.recordsOf('vercel-turn')
          .map((r) => r.kind),
      ).to.deep.equal(['conversation', 'message', 'message']);
    } finally {
      await processor.shutdown().catch(() => undefined);
      await stopTracing(tracing);
    }
  });

  it('asks nothing outside a platform request, and a refusing platform changes nothing for the app', async () => {
    const processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: receiver().url });
    const tracing = startTracing([processor as unknown as SpanProcessor]);
    try {
      trackConversation({ conversationId: 'no-platform' }, () => trackHumanMessage('q'));
      holder[KEY] = {
        get: () => ({
          waitUntil: () => {
            throw new Error('refused');
          },
        }),
      };
      expect(trackConversation({ conversationId: 'refusing' }, () => 42)).to.equal(42);
      await processor.forceFlush();
      expect(
        receiver()
          .store.recordsOf('refusing')
          .map((r) => r.kind),
      ).to.deep.equal(['conversation']);
    } finally {
      await processor.shutdown().catch(() => undefined);
      await stopTracing(tracing);
    }
  });
});

describe('AGENTSIGHT_DEBUG: why nothing arrives, span by span', () => {
  it('says for each ended span whether it was taken, and why not', async () => {
    process.env.AGENTSIGHT_DEBUG = '1';
    const captured = captureStderr();
    const processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: 'http://127.0.0.1:9' });
    delete process.env.AGENTSIGHT_DEBUG;
    const tracing = startTracing([processor as unknown as SpanProcessor]);
    try {
      trackConversation({ conversationId: 'debugged' }, () => trackHumanMessage('hi'));
      trace.getTracer('app').startSpan('GET /health').end();
      trace
        .getTracer('llm')
        .startSpan('chat gpt', {
          attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': '[{"role":"user","content":"hi"}]' },
        })
        .end();
    } finally {
      captured.restore();
      await processor.shutdown().catch(() => undefined);
      await stopTracing(tracing);
    }
    const lines = captured.lines
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('agentsight debug'));
    expect(lines.some((l) => /"invoke_agent.*taken, a tracked turn of conversation "debugged"/.test(l))).to.equal(true);
    expect(lines.some((l) => /"GET \/health".*not taken: no conversation id and no GenAI attributes/.test(l))).to.equal(
      true,
    );
    expect(
      lines.some((l) => /"chat gpt".*not taken: an LLM call in a trace that names no conversation/.test(l)),
    ).to.equal(true);
    expect(lines.join('\n'), 'names, never content').to.not.include('"hi"');
  });
});
