import { ConversationId, CustomerId, HumanMessage, TrackConversation } from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { useTracing } from '../helpers/tracing';

class Assistant {
  @TrackConversation({ name: 'Params' })
  async answer(
    @HumanMessage() message: string,
    @ConversationId() conversationId: string,
    @CustomerId() customerId?: string,
  ) {
    return `${conversationId}/${customerId ?? '-'}: ${message}`;
  }

  @TrackConversation({ conversationId: 'from-option' })
  preferOption(@ConversationId() conversationId: string): string {
    return conversationId;
  }
}

describe('parameter decorators (legacy decorators)', () => {
  const tracing = useTracing();

  it('take the conversation id, customer id and human message from marked parameters', async () => {
    expect(await new Assistant().answer('hello', 'conv-param', 'cust-1')).to.equal('conv-param/cust-1: hello');
    const turn = tracing().one('invoke_agent answer');
    expect(turn.attributes).to.include({
      [semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]: 'conv-param',
      [semconv.ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID]: 'cust-1',
    });
    expect(tracing().one('agentsight.human_message').attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]).to.equal(
      'hello',
    );
  });

  it('generate an id when the marked parameter is empty', async () => {
    await new Assistant().answer('hi', '');
    const turn = tracing().one('invoke_agent answer');
    expect(turn.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.match(/^conv_[0-9a-f]{12}$/);
    expect(turn.attributes).not.to.have.property(semconv.ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID);
  });

  it('give way to an explicit option', () => {
    new Assistant().preferOption('from-parameter');
    expect(tracing().one('invoke_agent preferOption').attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.equal(
      'from-option',
    );
  });

  it('refuse a constructor parameter with a clear error', () => {
    expect(() => (ConversationId() as (t: object, k: undefined, i: number) => void)(class {}, undefined, 0)).to.throw(
      TypeError,
      /marks a method parameter, not a constructor parameter/,
    );
  });
});
