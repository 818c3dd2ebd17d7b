import { AgentSightSpanProcessor, initializeConversation, trackConversation, trackHumanMessage } from 'agentsight-otel';
import { expect } from 'chai';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startTracing, stopTracing, type TestTracing } from '../helpers/tracing';

describe('initializeConversation', () => {
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let processor: AgentSightSpanProcessor;
  let tracing: TestTracing;
  beforeEach(() => {
    processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: receiver().url });
    tracing = startTracing([processor]);
  });
  afterEach(() => stopTracing(tracing));

  it('creates the conversation with is_used false, and the first turn marks it used', async () => {
    expect(initializeConversation({ conversationId: 'widget-1', customerId: 'u-1', device: 'mobile' })).to.equal(
      'widget-1',
    );
    await processor.forceFlush();
    const created = receiver().store.conversation('widget-1');
    expect(created).to.include({ isUsed: false, createCalls: 1 });
    expect(created?.fields).to.include({ is_used: false, customer_id: 'u-1', device: 'mobile' });
    expect(
      receiver()
        .store.recordsOf('widget-1')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation']);

    trackConversation({ conversationId: 'widget-1' }, () => trackHumanMessage('hello'));
    await processor.forceFlush();
    expect(receiver().store.conversation('widget-1')).to.include({ isUsed: true, createCalls: 2 });
    expect(
      receiver()
        .store.recordsOf('widget-1')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message']);
  });

  it('does not make the conversation active, and a turn in the same batch sends one used record', async () => {
    trackConversation({ conversationId: 'outer' }, () => {
      initializeConversation({ conversationId: 'inner' });
      trackHumanMessage('still in outer');
    });
    trackConversation({ conversationId: 'same-batch' }, () => trackHumanMessage('hi'));
    initializeConversation({ conversationId: 'same-batch' });
    await processor.forceFlush();
    expect(
      receiver()
        .store.recordsOf('outer')
        .map((r) => r.body.content ?? r.kind),
    ).to.deep.equal(['conversation', 'still in outer']);
    expect(receiver().store.conversation('inner')?.isUsed).to.equal(false);
    expect(receiver().store.conversation('same-batch')).to.include({ isUsed: true, createCalls: 1 });
  });

  it('cannot unmark a conversation that was already used', async () => {
    trackConversation({ conversationId: 'used-first' }, () => trackHumanMessage('hi'));
    await processor.forceFlush();
    initializeConversation({ conversationId: 'used-first' });
    await processor.forceFlush();
    expect(receiver().store.conversation('used-first')).to.include({ isUsed: true, createCalls: 2 });
  });

  it('needs a conversation id', () => {
    expect(initializeConversation({})).to.equal(undefined);
  });
});
