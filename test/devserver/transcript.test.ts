import { DevStore, renderTranscript } from 'agentsight-otel/dev-server';
import { expect } from 'chai';

describe('local receiver: transcripts', () => {
  it('orders lines by the items’ timestamps and shows actions, errors and token usage', () => {
    const store = new DevStore();
    const { conversation } = store.getOrCreateConversation({
      conversation_id: 'web-chat-123',
      customer_id: 'user-456',
      source: 'api',
      environment: 'development',
      is_used: true,
    });
    const base = { conversation_id: 'web-chat-123', metadata: {}, conversation: conversation.id };
    // Arrival order differs from timestamp order on purpose: the transcript follows timestamps.
    store.add('message', '/api/track/', 'web-chat-123', {
      ...base,
      timestamp: '2026-02-08T13:36:03.000000+00:00',
      content: 'It is 1016.',
      sender: 'agent',
    });
    store.add('message', '/api/track/', 'web-chat-123', {
      ...base,
      timestamp: '2026-02-08T13:36:00.000000+00:00',
      content: 'What is 127 multiplied by 8?',
      sender: 'end_user',
    });
    store.add('action', '/api/action_logs/', 'web-chat-123', {
      ...base,
      timestamp: '2026-02-08T13:36:01.000000+00:00',
      action_name: 'calculator',
      duration_ms: 3,
      response: '1016',
    });
    store.add('action', '/api/action_logs/', 'web-chat-123', {
      ...base,
      timestamp: '2026-02-08T13:36:01.500000+00:00',
      action_name: 'calculator',
      duration_ms: 1,
      error_msg: 'Unexpected token',
    });
    store.add('action', '/api/action_logs/', 'web-chat-123', {
      ...base,
      timestamp: '2026-02-08T13:36:02.000000+00:00',
      action_name: 'token_usage',
      metadata: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, embedding_tokens: 0 },
    });
    const text = renderTranscript(conversation, store.recordsOf('web-chat-123'));
    expect(text.split('\n')).to.deep.equal([
      '── conversation web-chat-123 (#1) · customer user-456 · source api · development',
      '  13:36:00.000  user     What is 127 multiplied by 8?',
      '  13:36:01.000  action   calculator (3 ms) → 1016',
      '  13:36:01.500  action   calculator (1 ms)  ✗ Unexpected token',
      '  13:36:02.000  tokens   prompt 120 · completion 30 · total 150',
      '  13:36:03.000  agent    It is 1016.',
    ]);
  });
});

describe('local receiver: the page', () => {
  it('lists when each conversation ran and its turns, filters by a search, and links each turn to its trace', async () => {
    const { renderPage } = await import('#internal/devserver/page');
    const store = new DevStore();
    const traces = ['a'.repeat(32), 'b'.repeat(32)];
    for (const id of ['support-chat', 'sales-chat']) {
      const { conversation } = store.getOrCreateConversation({
        conversation_id: id,
        name: id === 'support-chat' ? 'Printer help' : 'Pricing',
        environment: 'development',
        is_used: true,
      });
      traces.forEach((traceId, turn) => {
        store.add('message', '/api/track/', id, {
          timestamp: `2026-02-08T13:3${turn}:00.000000+00:00`,
          content: `question ${turn}`,
          sender: 'end_user',
          conversation_id: id,
          conversation: conversation.id,
          metadata: { 'otel.trace_id': traceId, 'otel.span_id': '1'.repeat(16) },
        });
      });
    }
    const page = renderPage(store, 'support-chat', { jaegerUrl: 'http://jaeger.local:16686/' });
    expect(page).to.include('2026-02-08 13:30–13:31 UTC · 2 turns');
    expect(page).to.include(`href="http://jaeger.local:16686/trace/${traces[0]}"`);
    expect(page).to.include(`href="http://jaeger.local:16686/trace/${traces[1]}"`);
    const searched = renderPage(store, undefined, { jaegerUrl: 'http://jaeger.local:16686', search: 'PRINTER' });
    expect(searched).to.include('data-conversation="support-chat"');
    expect(searched).to.not.include('data-conversation="sales-chat"');
  });
});
