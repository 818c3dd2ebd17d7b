import {
  AgentSightSpanProcessor,
  trackAgentMessage,
  trackConversation,
  trackFeedback,
  trackHumanMessage,
} from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startTracing, stopTracing } from '../helpers/tracing';

describe('feedback from inside a turn', () => {
  const receiver = useReceiver({ apiKey: TEST_API_KEY });

  it('is delivered after the conversation’s record, linked to it, with no timestamp of its own', async () => {
    const processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: receiver().url });
    const tracing = startTracing([processor]);
    const diag = captureDiag();
    try {
      trackConversation({ conversationId: 'rated' }, () => {
        trackHumanMessage('hi');
        trackAgentMessage('hello');
      });
      await processor.forceFlush();
      // A later request of the same conversation: the user clicks thumbs up.
      trackConversation({ conversationId: 'rated' }, () => {
        trackFeedback({ sentiment: 'positive', comment: 'Spot on', metadata: { widget: 'thumbs' } });
        trackFeedback({ sentiment: 'great' as never });
      });
      await processor.forceFlush();
      const span = tracing.spans().find((s) => s.name === 'agentsight.feedback');
      expect(span?.attributes[semconv.ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT]).to.equal('positive');
    } finally {
      diag.restore();
      await stopTracing(tracing);
    }
    const records = receiver().store.recordsOf('rated');
    expect(records.map((r) => r.kind)).to.deep.equal(['conversation', 'message', 'message', 'feedback']);
    const pk = receiver().store.conversation('rated')?.id;
    expect(records[3]?.body).to.deep.equal({
      sentiment: 'positive',
      conversation_id: 'rated',
      comment: 'Spot on',
      metadata: { widget: 'thumbs' },
      conversation: pk,
    });
    expect(diag.warnings.some((w) => w.includes('trackFeedback needs a sentiment'))).to.equal(true);
  });
});
