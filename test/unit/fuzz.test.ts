import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import fc from 'fast-check';
import { boundedJson } from '#internal/decorators/bounded-json';
import { toConversationPlans } from '#internal/mapping/mapping';
import { post, TEST_API_KEY, useReceiver } from '../helpers/receiver';

/** Values of every kind, including the hostile ones the serializer must survive. */
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
    }),
    fc.string({ unit: 'binary', maxLength: 3_000 }),
    fc.constantFrom(
      Buffer.alloc(50_000),
      new Uint8Array(10),
      new ArrayBuffer(8),
      new Error('boom'),
      Object.create(null),
      Symbol('s'),
      () => 1,
      Number.NaN,
      -0,
      new Date(Number.NaN),
      Proxy.revocable({}, {}),
    ),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 30 }),
    fc.array(tie('value'), { maxLength: 30 }),
  ),
})).value;

/** A finished span of a fuzz case: the `i`th of its trace, with the fields the case sets. */
function fuzzSpan(i: number, fields: Record<string, unknown>): ReadableSpan {
  return {
    name: `span-${i}`,
    kind: SpanKind.INTERNAL,
    spanContext: () => ({
      traceId: 'a'.repeat(32),
      spanId: i.toString(16).padStart(16, '0'),
      traceFlags: TraceFlags.SAMPLED,
    }),
    startTime: [1_760_000_000, 0],
    endTime: [1_760_000_001, 0],
    duration: [0, 0],
    status: { code: SpanStatusCode.UNSET },
    attributes: {},
    events: [],
    links: [],
    ended: true,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...fields,
  } as unknown as ReadableSpan;
}

describe('fuzzing (fast-check, bounded runs)', function () {
  this.timeout(60_000);

  it('the serializer: any value gives valid JSON within the limit, never throws, in bounded time', () => {
    fc.assert(
      fc.property(anyValue, fc.integer({ min: 64, max: 2_000 }), (value, limit) => {
        const started = process.hrtime.bigint();
        const json = boundedJson(value, limit);
        const millis = Number(process.hrtime.bigint() - started) / 1e6;
        if (value === undefined) return json === undefined;
        expect(json).to.be.a('string');
        expect((json as string).length).to.be.at.most(limit);
        expect(() => JSON.parse(json as string), json).to.not.throw();
        expect(millis).to.be.lessThan(250);
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it('the serializer survives revoked proxies and throwing getters anywhere', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('proxy', 'getter', 'plain'), { maxLength: 20 }), (kinds) => {
        const value = kinds.map((kind) => {
          if (kind === 'proxy') {
            const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
            revoke();
            return proxy;
          }
          if (kind === 'getter') {
            return Object.defineProperty({}, 'x', {
              enumerable: true,
              get() {
                throw new Error('no');
              },
            });
          }
          return { ok: true };
        });
        JSON.parse(boundedJson(value, 500) as string);
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it('the mapper: any attribute set gives items or a counted drop, never a throw', () => {
    const attribute = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        'conversation',
        'action',
        'message',
        'button',
        'token_usage',
        'constructor',
        '__proto__',
        'valueOf',
      ),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    );
    const keys = fc.constantFrom(
      'agentsight.span.kind',
      'agentsight.message.sender',
      'agentsight.message.content',
      'agentsight.message.metadata',
      'agentsight.action.name',
      'agentsight.action.metadata',
      'agentsight.action.arguments',
      'agentsight.action.tools_used',
      'agentsight.button.event',
      'agentsight.button.label',
      'agentsight.button.value',
      'agentsight.conversation.metadata',
      'agentsight.conversation.device',
      'gen_ai.usage.input_tokens',
      'gen_ai.operation.name',
    );
    const time = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 2e9 }), fc.integer({ min: 0, max: 999_999_999 })),
      fc.constant([Number.NaN, Number.NaN]),
      fc.constant(undefined),
      fc.tuple(fc.double(), fc.double()),
    );
    const span = fc.record({
      conversation: fc.oneof(fc.constantFrom('c-1', 'c-2'), fc.string({ maxLength: 300 }), fc.integer()),
      attributes: fc.dictionary(keys, attribute, { maxKeys: 10 }),
      start: time,
      end: time,
    });
    fc.assert(
      fc.property(fc.array(span, { maxLength: 20 }), (specs) => {
        const spans = specs.map((spec, i) =>
          fuzzSpan(i, {
            attributes: { 'agentsight.conversation.id': spec.conversation, ...spec.attributes },
            startTime: spec.start,
            endTime: spec.end,
          }),
        );
        const { plans, dropped } = toConversationPlans(spans, { environment: 'development', maxFieldLength: 1_000 });
        const items = plans.reduce((n, plan) => n + plan.items.length, 0);
        expect(items + dropped.length).to.be.at.most(spans.length + plans.length); // + one token_usage each
        for (const plan of plans) {
          expect(plan.conversationId.length).to.be.at.most(255);
          expect(JSON.stringify(plan.record).length).to.be.lessThan(20_000);
        }
        return true;
      }),
      { numRuns: 300 },
    );
    expect(ROOT_CONTEXT).to.not.equal(undefined);
  });

  it('the zero-code mapper: any GenAI attributes, ancestry (cycles too) and message lists give items or a counted drop, never a throw', () => {
    const message = fc.record(
      {
        role: fc.oneof(
          fc.constantFrom('user', 'assistant', 'tool', 'system'),
          fc.string({ maxLength: 5 }),
          fc.integer(),
        ),
        content: fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constant(null),
          fc.array(fc.record({ type: fc.string(), text: fc.string() })),
        ),
        parts: fc.array(
          fc.record(
            {
              type: fc.constantFrom('text', 'tool_call', 'tool_call_response', 'other'),
              content: fc.string({ maxLength: 20 }),
              id: fc.oneof(fc.string({ maxLength: 6 }), fc.integer()),
              name: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(undefined)),
              arguments: fc.jsonValue({ maxDepth: 2 }),
              response: fc.jsonValue({ maxDepth: 2 }),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
        finish_reason: fc.constantFrom('stop', 'tool_calls', 'tool_call', undefined),
      },
      { requiredKeys: [] },
    );
    const list = fc.oneof(
      fc.array(message, { maxLength: 6 }).map((m) => JSON.stringify(m)),
      fc.string({ maxLength: 30 }),
      fc.constant('[1, "x", null, {}]'),
      fc.integer(),
    );
    const attributes = fc.record(
      {
        'gen_ai.conversation.id': fc.oneof(
          fc.constantFrom('g-1', 'g-2', ''),
          fc.string({ maxLength: 300 }),
          fc.integer(),
        ),
        'session.id': fc.string({ maxLength: 10 }),
        'gen_ai.operation.name': fc.constantFrom('chat', 'invoke_agent', 'execute_tool', 'other'),
        'gen_ai.input.messages': list,
        'gen_ai.output.messages': list,
        'gen_ai.tool.name': fc.string({ maxLength: 10 }),
        'gen_ai.tool.call.id': fc.string({ maxLength: 6 }),
        'gen_ai.tool.call.arguments': fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constant(JSON.stringify({ big: 'x'.repeat(50_000) })),
        ),
        'llm.input_messages.0.message.role': fc.string({ maxLength: 6 }),
        'llm.input_messages.0.message.content': fc.string({ maxLength: 20 }),
        'openinference.span.kind': fc.constantFrom('LLM', 'TOOL', 'CHAIN'),
        'gen_ai.usage.input_tokens': fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 4 })),
      },
      { requiredKeys: [] },
    );
    const span = fc.record({ attributes, parent: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(span, { maxLength: 10 }), (specs) => {
        const spans = specs.map((spec, i) =>
          fuzzSpan(i, {
            kind: SpanKind.CLIENT,
            // Any span may name any other as its parent, itself included: cycles must end.
            ...(spec.parent === undefined ? {} : { parentSpanId: spec.parent.toString(16).padStart(16, '0') }),
            attributes: spec.attributes,
          }),
        );
        const { plans } = toConversationPlans(spans, {
          environment: 'development',
          maxFieldLength: 1_000,
          genAi: true,
        });
        for (const plan of plans) {
          expect(plan.conversationId.length).to.be.at.most(255);
          for (const item of plan.items) expect(JSON.stringify(item.body).length).to.be.lessThan(20_000);
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });

  describe('the receiver', () => {
    const receiver = useReceiver({ apiKey: TEST_API_KEY });

    it('answers any JSON body with a 2xx or a 4xx, never a 5xx', async () => {
      const field = fc.oneof(
        fc.constantFrom(
          'timestamp',
          'conversation_id',
          'content',
          'sender',
          'metadata',
          'conversation',
          'action_name',
          'constructor',
          'toString',
          '__proto__',
          'hasOwnProperty',
          'valueOf',
          'is_used',
          'environment',
        ),
        fc.string({ maxLength: 12 }),
      );
      const body = fc.oneof(
        fc.dictionary(field, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 8 }),
        fc.jsonValue({ maxDepth: 2 }),
      );
      const path = fc.constantFrom(
        '/api/conversations/',
        '/api/track/',
        '/api/action_logs/',
        '/api/buttons/',
        '/api/attachments/',
        '/api/conversation-feedbacks/',
      );
      await fc.assert(
        fc.asyncProperty(path, body, async (where, json) => {
          const reply = await post(receiver(), where, JSON.stringify(json));
          expect(reply.status, JSON.stringify(json)).to.be.within(200, 499);
        }),
        { numRuns: 300 },
      );
      // The named culprits, as raw JSON (an object literal would not keep __proto__ as a key).
      for (const where of ['/api/conversations/', '/api/track/']) {
        const reply = await post(receiver(), where, '{"constructor":1,"toString":2,"__proto__":{"x":1}}');
        expect(reply.status).to.equal(400);
      }
    });
  });
});
