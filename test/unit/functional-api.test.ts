import { SpanStatusCode } from '@opentelemetry/api';
import {
  generateConversationId,
  trackAction,
  trackAgentMessage,
  trackButton,
  trackConversation,
  trackHumanMessage,
  trackTokenUsage,
} from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { useTracing } from '../helpers/tracing';

describe('functional API', () => {
  const tracing = useTracing();

  it('trackConversation runs fn at once and keeps a sync result sync', () => {
    let ran = false;
    const result = trackConversation({ conversationId: 'f-1', humanMessage: 'hi' }, () => {
      ran = true;
      return 'hello back';
    });
    expect(ran).to.equal(true);
    expect(result).to.equal('hello back');
    const names = tracing()
      .spans()
      .map((s) => s.name);
    expect(names).to.deep.equal(['agentsight.human_message', 'agentsight.agent_message', 'invoke_agent conversation']);
    expect(tracing().one('invoke_agent conversation').attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.equal(
      'f-1',
    );
  });

  it('trackConversation keeps a promise a promise and ends the span when it settles', async () => {
    const pending = trackConversation({ conversationId: 'f-2' }, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return { text: 'ok' };
    });
    expect(pending).to.be.instanceOf(Promise);
    expect(tracing().spans()).to.have.length(0);
    expect(await pending).to.deep.equal({ text: 'ok' });
    expect(
      tracing()
        .spans()
        .map((s) => s.name),
    ).to.deep.equal(['invoke_agent conversation']);
  });

  it('trackAction rethrows the same error and records it', () => {
    const boom = new Error('tool exploded');
    expect(() =>
      trackAction('explode', () => {
        throw boom;
      }),
    ).to.throw(boom);
    const span = tracing().one('execute_tool explode');
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
  });

  it('trackAction takes options with plain values', async () => {
    const value = await trackConversation({ conversationId: 'f-3' }, () =>
      trackAction({ name: 'lookup', toolsUsed: { db: 'orders' }, metadata: { region: 'eu' } }, async () => 42),
    );
    expect(value).to.equal(42);
    const span = tracing().one('execute_tool lookup');
    expect(span.attributes).to.include({
      [semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]: 'f-3',
      [semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]: '42',
      [semconv.ATTR_AGENTSIGHT_ACTION_TOOLS_USED]: '{"db":"orders"}',
      [semconv.ATTR_AGENTSIGHT_ACTION_METADATA]: '{"region":"eu"}',
    });
  });

  it('records messages, buttons and token usage in the active conversation as zero-length spans', () => {
    trackConversation({ conversationId: 'f-4', customerId: 'u-1' }, () => {
      trackHumanMessage('question?', { channel: 'web' });
      trackTokenUsage({ promptTokens: 10, completionTokens: 5 });
      trackAgentMessage('answer.');
      trackButton({ event: 'feedback', label: 'Helpful', value: 'yes', metadata: { position: 1 } });
    });
    const spans = tracing().spans();
    expect(spans.map((s) => s.name)).to.deep.equal([
      'agentsight.human_message',
      'agentsight.token_usage',
      'agentsight.agent_message',
      'agentsight.button',
      'invoke_agent conversation',
    ]);
    for (const span of spans.slice(0, 4)) {
      expect(span.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.equal('f-4');
      expect(span.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID]).to.equal('u-1');
      expect(span.duration).to.deep.equal([0, span.duration[1]]);
    }
    expect(spans[0]?.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_METADATA]).to.equal('{"channel":"web"}');
    expect(spans[1]?.attributes).to.include({
      [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: 'token_usage',
      [semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 10,
      [semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
    });
    expect(spans[1]?.attributes).not.to.have.property(semconv.ATTR_AGENTSIGHT_USAGE_TOTAL_TOKENS);
    expect(spans[3]?.attributes).to.include({
      [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: 'button',
      [semconv.ATTR_AGENTSIGHT_BUTTON_EVENT]: 'feedback',
      [semconv.ATTR_AGENTSIGHT_BUTTON_LABEL]: 'Helpful',
      [semconv.ATTR_AGENTSIGHT_BUTTON_VALUE]: 'yes',
      [semconv.ATTR_AGENTSIGHT_BUTTON_METADATA]: '{"position":1}',
    });
  });

  it('records nothing, and warns, when there is no conversation or the input is unusable', () => {
    const diag = captureDiag();
    try {
      trackHumanMessage('lost');
      trackConversation({ conversationId: 'f-5' }, () => {
        trackHumanMessage('   ');
        trackButton({ event: 'e', label: '', value: 'v' });
        trackTokenUsage({ promptTokens: Number.NaN, completionTokens: -3 });
      });
    } finally {
      diag.restore();
    }
    expect(
      tracing()
        .spans()
        .map((s) => s.name),
    ).to.deep.equal(['invoke_agent conversation']);
    expect(diag.warnings.join('\n')).to.match(/trackHumanMessage was called outside a tracked conversation/);
    expect(diag.warnings.join('\n')).to.match(/empty end_user message/);
    expect(diag.warnings.join('\n')).to.match(/trackButton needs a non-blank event, label and value/);
  });

  it('generates ids in the SDK form: conv_ and 12 hex characters, unique', () => {
    const ids = new Set(Array.from({ length: 1000 }, generateConversationId));
    expect(ids.size).to.equal(1000);
    for (const id of ids) expect(id).to.match(/^conv_[0-9a-f]{12}$/);
  });

  it('calls option functions with no arguments, as the decorator does, instead of recording them', () => {
    trackConversation(
      {
        conversationId: (() => 'from-function') as never,
        name: (() => 'Named by a function') as never,
        humanMessage: (() => 'typed by a function') as never,
      },
      () => 1,
    );
    const turn = tracing().one('invoke_agent conversation');
    expect(turn.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.equal('from-function');
    expect(turn.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_NAME]).to.equal('Named by a function');
    expect(tracing().one('agentsight.human_message').attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]).to.equal(
      'typed by a function',
    );
  });

  it('says clearly when the arguments are swapped', () => {
    expect(() => trackAction((() => 1) as never, 'name' as never)).to.throw(TypeError, /name or options come first/);
    expect(() => trackConversation((() => 1) as never, {} as never)).to.throw(TypeError, /options come first/);
  });
});
