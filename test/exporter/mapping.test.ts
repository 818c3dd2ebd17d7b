import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import {
  trackAction,
  trackAgentMessage,
  trackButton,
  trackConversation,
  trackHumanMessage,
  trackTokenUsage,
} from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
// The mapping is internal and pure: tested directly (through the package's private #internal imports), with spans made by the real SDK.
import { toConversationPlans } from '#internal/mapping/mapping';
import { toAgentSightTimestamp } from '#internal/mapping/timestamp';
import { useTracing } from '../helpers/tracing';

const options = { environment: 'development', maxFieldLength: 32_768 };
const PYTHON_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The span with the conversation stamped on it, as AgentSightSpanProcessor does for other instrumentations. */
function stamped(span: ReadableSpan, conversationId: string): ReadableSpan {
  if (span.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID] !== undefined) return span;
  return {
    ...span,
    spanContext: () => span.spanContext(),
    attributes: { ...span.attributes, [semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]: conversationId },
  } as ReadableSpan;
}

describe('mapping spans to AgentSight payloads (pure)', () => {
  const tracing = useTracing();
  const plansOf = (spans: ReadableSpan[] = tracing().spans()) => toConversationPlans(spans, options);

  it('puts each item’s trace and span ids in its metadata with traceLinks, and the app’s own keys win', () => {
    trackConversation({ conversationId: 'linked' }, () => {
      trackHumanMessage('hi', { channel: 'web', 'otel.span_id': 'chosen by the app' });
      trackAction({ name: 'lookup' }, () => 'found');
      trackButton({ event: 'click', label: 'Yes', value: 'yes' });
      trackTokenUsage({ promptTokens: 1, completionTokens: 2, totalTokens: 3, embeddingTokens: 0 });
    });
    const spans = tracing().spans();
    const byKind = (plans: ReturnType<typeof plansOf>) =>
      new Map(plans.plans[0]?.items.map((i) => [i.kind, (i.body as { metadata?: Record<string, unknown> }).metadata]));
    const linked = byKind(toConversationPlans(spans, { ...options, traceLinks: true }));
    const traceId = spans[0]?.spanContext().traceId;
    for (const kind of ['message', 'action', 'button'] as const) {
      expect(linked.get(kind)?.['otel.trace_id'], kind).to.equal(traceId);
    }
    expect(linked.get('action')?.['otel.span_id']).to.match(/^[0-9a-f]{16}$/);
    expect(linked.get('message')).to.deep.include({ channel: 'web', 'otel.span_id': 'chosen by the app' });
    // Token usage keeps the contract's four counts only.
    expect(Object.keys(linked.get('token_usage') ?? {})).to.not.include('otel.trace_id');
    const plain = byKind(toConversationPlans(spans, options));
    for (const kind of ['action', 'button'] as const) expect(plain.get(kind), kind).to.deep.equal({});
  });

  it('sums token usage per turn: two turns in one export stay two lines', () => {
    for (const turn of [1, 2]) {
      trackConversation({ conversationId: 'two-turns' }, () => {
        trackTokenUsage({ promptTokens: 40, completionTokens: turn, totalTokens: 40 + turn, embeddingTokens: 0 });
      });
    }
    const usage = plansOf()
      .plans[0]?.items.filter((i) => i.kind === 'token_usage')
      .map((i) => (i.body as unknown as { metadata: { prompt_tokens: number } }).metadata.prompt_tokens);
    expect(usage).to.deep.equal([40, 40]);
  });

  it('writes timestamps as the Python SDK does: UTC, microseconds, +00:00', () => {
    expect(toAgentSightTimestamp([1770557760, 123456789])).to.equal('2026-02-08T13:36:00.123456+00:00');
    expect(toAgentSightTimestamp([1770557760, 0])).to.equal('2026-02-08T13:36:00.000000+00:00');
    expect(toAgentSightTimestamp([1770557760, 999])).to.equal('2026-02-08T13:36:00.000000+00:00');
  });

  it('plans the conversation record, then the items in the order they happened', async () => {
    await trackConversation(
      {
        conversationId: 'c-1',
        customerId: 'u-1',
        name: 'Support',
        source: 'api',
        device: 'mobile',
        metadata: { plan: 'pro' },
      },
      async () => {
        trackHumanMessage('What is 2+2?', { channel: 'web' });
        await sleep(2);
        await trackAction({ name: 'calculator', toolsUsed: { tool: 'calculator' } }, async () => {
          await sleep(3);
          return 4;
        });
        trackTokenUsage({ promptTokens: 10, completionTokens: 3 });
        await sleep(1);
        trackAgentMessage('It is 4.');
      },
    );
    const { plans, dropped } = plansOf();
    expect(dropped).to.deep.equal([]);
    expect(plans).to.have.length(1);
    const [plan] = plans;
    expect(plan?.record).to.deep.include({
      conversation_id: 'c-1',
      customer_id: 'u-1',
      customer_ip_address: null,
      device: 'mobile',
      source: 'api',
      language: null,
      name: 'Support',
      is_used: true,
      environment: 'development',
      metadata: { plan: 'pro' },
    });
    expect(Object.keys(plan?.record ?? {})).to.deep.equal([
      'timestamp',
      'conversation_id',
      'customer_id',
      'customer_ip_address',
      'device',
      'source',
      'language',
      'name',
      'is_used',
      'environment',
      'metadata',
    ]);
    expect(plan?.items.map((i) => i.kind)).to.deep.equal(['message', 'action', 'token_usage', 'message']);
    const [human, action, usage, agent] = (plan?.items ?? []).map((i) => i.body as Record<string, any>);
    expect(human).to.deep.include({
      content: 'What is 2+2?',
      sender: 'end_user',
      conversation_id: 'c-1',
      metadata: { channel: 'web' },
    });
    expect(agent).to.deep.include({ content: 'It is 4.', sender: 'agent', metadata: {} });
    expect(action).to.deep.include({
      action_name: 'calculator',
      response: '4',
      tools_used: { tool: 'calculator' },
      metadata: {},
    });
    expect(action?.duration_ms).to.be.a('number').and.satisfy(Number.isInteger).and.be.at.least(2);
    expect(usage).to.deep.equal({
      timestamp: usage?.timestamp,
      action_name: 'token_usage',
      conversation_id: 'c-1',
      metadata: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13, embedding_tokens: 0 },
    });
    for (const body of [plan?.record, human, action, usage, agent]) expect(body?.timestamp).to.match(PYTHON_TIMESTAMP);
    // Each item is timed at its span's end (order is the end order; delivery keeps timestamps monotonic).
    const ends = [
      'agentsight.human_message',
      'execute_tool calculator',
      'agentsight.token_usage',
      'agentsight.agent_message',
    ];
    expect([human, action, usage, agent].map((b) => b?.timestamp)).to.deep.equal(
      ends.map((name) => toAgentSightTimestamp(tracing().one(name).endTime)),
    );
    expect(String(plan?.record.timestamp) <= String(human?.timestamp)).to.equal(true);
  });

  it('times an action at its end, with started_at, ended_at and duration from the span', () => {
    trackConversation({ conversationId: 'c-2' }, () => trackAction('step', () => 1));
    const span = tracing().one('execute_tool step');
    const body = plansOf().plans[0]?.items[0]?.body as unknown as Record<string, unknown>;
    expect(body.started_at).to.equal(toAgentSightTimestamp(span.startTime));
    expect(body.ended_at).to.equal(toAgentSightTimestamp(span.endTime));
    expect(body.timestamp).to.equal(body.ended_at);
    expect(body.duration_ms).to.equal(Math.round(span.duration[0] * 1e3 + span.duration[1] / 1e6));
  });

  it('turns a failed action into error_msg, and keeps the arguments in metadata', () => {
    trackConversation({ conversationId: 'c-3' }, () => {
      try {
        trackAction({ name: 'divide', metadata: { unit: 'm' } }, () => {
          throw new RangeError('division by zero');
        });
      } catch {}
    });
    const body = plansOf().plans[0]?.items[0]?.body as unknown as Record<string, unknown>;
    expect(body.error_msg).to.equal('division by zero');
    expect(body).not.to.have.property('response');
    expect(body.metadata).to.deep.equal({ unit: 'm' });
  });

  it('makes a complete conversation record from any one span (self-describing spans)', () => {
    trackConversation({ conversationId: 'c-4', customerId: 'u-4', name: 'Only an action' }, () =>
      trackAction('solo', () => 'x'),
    );
    const actionOnly = tracing()
      .spans()
      .filter((s) => s.name === 'execute_tool solo');
    const record = plansOf(actionOnly).plans[0]?.record;
    expect(record).to.deep.include({ conversation_id: 'c-4', customer_id: 'u-4', name: 'Only an action' });
  });

  it('ignores spans of no conversation', () => {
    trackAction('outside', () => 1);
    trace.getTracer('other').startSpan('GET /health').end();
    expect(plansOf().plans).to.deep.equal([]);
  });

  it('sums token usage from other instrumentations’ spans, reading each count once', async () => {
    await trackConversation({ conversationId: 'c-5' }, async () => {
      const tracer = trace.getTracer('llm-instrumentations');
      // OpenAI instrumentation style.
      tracer
        .startSpan('chat gpt-4o', {
          attributes: { [semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 100, [semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 20 },
        })
        .end();
      // OpenLLMetry style: old and new keys together, plus a stated total.
      tracer
        .startSpan('openai.chat', {
          attributes: {
            [semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 50,
            [semconv.ATTR_GEN_AI_USAGE_PROMPT_TOKENS]: 50,
            [semconv.ATTR_GEN_AI_USAGE_COMPLETION_TOKENS]: 5,
            [semconv.ATTR_LLM_USAGE_TOTAL_TOKENS]: 56,
          },
        })
        .end();
      // OpenInference style.
      tracer
        .startSpan('LLM', {
          attributes: {
            [semconv.ATTR_LLM_TOKEN_COUNT_PROMPT]: 7,
            [semconv.ATTR_LLM_TOKEN_COUNT_COMPLETION]: 3,
            [semconv.ATTR_LLM_TOKEN_COUNT_TOTAL]: 10,
          },
        })
        .end();
      // An embeddings call: its input tokens are embedding tokens.
      tracer
        .startSpan('embeddings', {
          attributes: {
            [semconv.ATTR_GEN_AI_OPERATION_NAME]: 'embeddings',
            [semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 30,
          },
        })
        .end();
      await sleep(1);
      trackAgentMessage('done');
    });
    const items =
      plansOf(
        tracing()
          .spans()
          .map((s) => stamped(s, 'c-5')),
      ).plans[0]?.items ?? [];
    expect(items.map((i) => i.kind)).to.deep.equal(['token_usage', 'message']);
    expect((items[0]?.body as { metadata: unknown } | undefined)?.metadata).to.deep.equal({
      prompt_tokens: 157,
      completion_tokens: 28,
      total_tokens: 186,
      embedding_tokens: 30,
    });
  });

  it('uses the exporter environment unless the conversation chose one, and drops unknown devices', () => {
    trackConversation({ conversationId: 'c-6', environment: 'production' }, () => 1);
    trackConversation({ conversationId: 'c-7', device: 'toaster' as never, name: 'n'.repeat(300) }, () => 1);
    const plans = toConversationPlans(tracing().spans(), { ...options, environment: 'development' }).plans;
    const byId = new Map(plans.map((p) => [p.conversationId, p.record]));
    expect(byId.get('c-6')?.environment).to.equal('production');
    expect(byId.get('c-7')?.environment).to.equal('development');
    expect(byId.get('c-7')?.device).to.equal(null);
    expect(byId.get('c-7')?.name).to.have.length(255);
  });

  it('gives every item a key that is the same when the same spans are mapped again', () => {
    trackConversation({ conversationId: 'c-8' }, () => {
      trackHumanMessage('a');
      trackButton({ event: 'e', label: 'l', value: 'v' });
      trackTokenUsage({ promptTokens: 1 });
    });
    const first = plansOf().plans[0];
    const again = plansOf().plans[0];
    const keys = [first?.recordIdempotencyKey, ...(first?.items ?? []).map((i) => i.idempotencyKey)];
    expect(keys).to.deep.equal([again?.recordIdempotencyKey, ...(again?.items ?? []).map((i) => i.idempotencyKey)]);
    expect(new Set(keys).size).to.equal(keys.length);
  });

  it('cuts over-long fields at maxFieldLength and reports spans it cannot send', () => {
    trackConversation({ conversationId: 'c-9' }, () => trackAgentMessage('z'.repeat(20_000)));
    const span = tracing().one('agentsight.agent_message');
    const broken = {
      ...span,
      spanContext: () => span.spanContext(),
      attributes: { ...span.attributes, [semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]: '  ' },
    } as ReadableSpan;
    const result = toConversationPlans([span, broken], { ...options, maxFieldLength: 1000 });
    const content = String((result.plans[0]?.items[0]?.body as { content: string } | undefined)?.content);
    expect(content).to.have.length.at.most(1000);
    expect(content).to.match(/truncated, total length: 20000\]$/);
    expect(result.dropped).to.deep.equal([
      { conversationId: 'c-9', spanName: 'agentsight.agent_message', reason: 'empty message content' },
    ]);
  });

  it('keeps error status of non-action spans out of the payloads', () => {
    trackConversation({ conversationId: 'c-10' }, () => {
      const span = trace.getTracer('x').startSpan('db.query');
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
      span.end();
    });
    const spans = tracing()
      .spans()
      .map((s) => stamped(s, 'c-10'));
    expect(spans.find((s) => s.name === 'db.query')?.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.equal(
      'c-10',
    );
    expect(plansOf(spans).plans[0]?.items).to.deep.equal([]);
  });
});
