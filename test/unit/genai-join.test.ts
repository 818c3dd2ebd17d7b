import { expect } from 'chai';
import { GenAiJoin } from '#internal/bridge/genai-join';
import type { FinishedSpan } from '#internal/common/sdk-shapes';
import { GenAiHistory } from '#internal/mapping/genai/genai-history';
import { toConversationPlans } from '#internal/mapping/mapping';
import type { MessagePayload } from '#internal/mapping/payloads';

/*
 * The bridge's join of LLM call spans and their GenAI events (OTLP logs), which a Collector sends
 * in separate requests in no set order: both orders give the same items, once.
 */

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function span(
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  attributes: Record<string, unknown>,
): FinishedSpan {
  return {
    name,
    kind: 2,
    spanContext: () => ({ traceId: TRACE, spanId, traceFlags: 1 }),
    startTime: [1_760_000_000, 0],
    endTime: [1_760_000_001, 0],
    status: { code: 0 },
    attributes: attributes as FinishedSpan['attributes'],
    events: [],
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
  };
}

const turnSpan = span('00000000000000a1', undefined, 'chat turn', { 'gen_ai.conversation.id': 'conv-join' });
const callSpan = span('00000000000000b2', '00000000000000a1', 'chat gpt-test', {
  'gen_ai.operation.name': 'chat',
  'gen_ai.usage.input_tokens': 20,
  'gen_ai.usage.output_tokens': 5,
});
const events = [
  { spanId: '00000000000000b2', name: 'gen_ai.user.message', body: { content: 'Hello' }, attributes: {} },
  {
    spanId: '00000000000000b2',
    name: 'gen_ai.choice',
    body: { finish_reason: 'stop', index: 0, message: { content: 'Hi there.' } },
    attributes: {},
  },
];

describe('the bridge joins LLM call spans and their GenAI events', () => {
  const options = { environment: 'development', maxFieldLength: 32_768, genAi: true };
  const lines = (spans: FinishedSpan[], history: GenAiHistory) =>
    toConversationPlans(spans, { ...options, genAiHistory: history }).plans.flatMap((plan) =>
      plan.items.map((item) =>
        item.kind === 'message'
          ? `${(item.body as MessagePayload).sender}: ${(item.body as MessagePayload).content}`
          : item.kind,
      ),
    );

  it('reads events that came first into their span when it comes', () => {
    const join = new GenAiJoin([]);
    expect(join.lateSpans(events)).to.deep.equal([]);
    const history = new GenAiHistory();
    expect(lines(join.spans([callSpan, turnSpan]), history)).to.deep.equal([
      'end_user: Hello',
      'agent: Hi there.',
      'token_usage',
    ]);
  });

  it('reads a span that came first again when its events come: its messages, its conversation, no tokens twice', () => {
    const join = new GenAiJoin([]);
    const history = new GenAiHistory();
    expect(lines(join.spans([callSpan, turnSpan]), history)).to.deep.equal(['token_usage']);
    const late = join.lateSpans(events);
    expect(late).to.have.length(1);
    expect(lines(late, history)).to.deep.equal(['end_user: Hello', 'agent: Hi there.']);
    // The same events again (a Collector retry) give nothing new.
    expect(lines(join.lateSpans(events), history)).to.deep.equal([]);
  });

  it('leaves events of spans it never saw waiting, and other log records alone', () => {
    const join = new GenAiJoin([]);
    expect(join.lateSpans([{ ...events[0], spanId: '00000000000000ff' } as (typeof events)[0]])).to.deep.equal([]);
    expect(join.spans([turnSpan])).to.deep.equal([turnSpan]);
  });
});
