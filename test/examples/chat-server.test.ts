import type { StoredRecord } from 'agentsight-otel/dev-server';
import { expect } from 'chai';
import { useExampleServer } from '../helpers/chat-server';
import { postJson } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

/**
 * A turn's records as a readable story. Token usage is summed per export, so a turn exported in
 * two batches has two usage records: they are shown as one line where the first stood.
 */
function story(records: readonly StoredRecord[]): string[] {
  return rawStory(records).filter((line, i, all) => line !== 'token_usage' || all.indexOf('token_usage') === i);
}

function rawStory(records: readonly StoredRecord[]): string[] {
  return records.map((r) => {
    const b = r.body as Record<string, any>;
    if (r.kind === 'message') return `${b.sender}: ${b.content}`;
    if (r.kind === 'action' && b.action_name === 'token_usage') return 'token_usage';
    if (r.kind === 'action') return `action ${b.action_name}${b.error_msg ? ` ✗ ${b.error_msg}` : ` → ${b.response}`}`;
    return r.kind;
  });
}

describe('example chat server, end to end over HTTP (child process, scripted model)', function () {
  this.timeout(60_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  const example = useExampleServer(
    'build/examples/chat-server/main.js',
    /chat server listening on (http:\/\/\S+)/,
    () => receiver().url,
  );
  before(async () => {
    // The two lines are written one after the other and may arrive in separate chunks.
    await example().server.waitFor(/LLM: offline scripted model/);
  });

  const chat = async (body: unknown) => {
    const answer = await postJson(`${example().url}/chat`, body);
    return { status: answer.status, body: answer.body ?? {} };
  };

  it('answers /health', async () => {
    const response = await fetch(`${example().url}/health`);
    expect(await response.json()).to.deep.equal({ status: 'healthy', service: 'agentsight-chat-server' });
  });

  it('runs the guide’s requests, the failures, and tracks each turn as the guide does', async () => {
    const greeting = await chat({ message: 'Hello! Can you help me?' });
    expect(greeting.status).to.equal(200);
    expect(greeting.body.tools_used).to.equal(false);
    expect(greeting.body.conversation_id).to.match(/^conv_[0-9a-f]{12}$/);

    const math = await chat({ message: 'What is 127 multiplied by 8?' });
    expect(math.body).to.include({ response: 'The answer is 1016.', tools_used: true });

    const continued = await chat({
      message: 'What is 1016 divided by 4?',
      conversation_id: 'web-chat-123',
      customer_id: 'user-456',
    });
    expect(continued.body).to.deep.equal({
      response: 'The answer is 254.',
      conversation_id: 'web-chat-123',
      tools_used: true,
    });

    const badExpression = await chat({ message: 'calculate: 2 +* 3', conversation_id: 'bad-expression' });
    expect(badExpression.body).to.include({ tools_used: true });
    expect(badExpression.body.response).to.match(/^I could not calculate that: unexpected \* at token 3/);

    const failure = await chat({ message: 'please fail', conversation_id: 'agent-failure' });
    expect(failure.status).to.equal(500);
    expect(failure.body.message).to.match(/^The assistant could not answer: 400 The scripted model was asked to fail/);

    for (const [body, problem] of [
      [{}, /must have required property 'message'/],
      [{ message: '   ' }, /body\/message must match pattern/],
      [{ message: 'hi', tools: true }, /must NOT have additional properties/],
      [{ message: 42 }, /body\/message must be string/],
    ] as const) {
      const bad = await chat(body);
      expect(bad.status, JSON.stringify(body)).to.equal(400);
      expect(bad.body.message).to.match(problem);
    }

    const { server } = example();
    expect(await server.stop()).to.equal(0);
    expect(server.output()).to.contain('SIGTERM: closing the server and flushing telemetry');

    const store = receiver().store;
    expect(store.conversations.map((c) => c.conversationId)).to.deep.equal([
      greeting.body.conversation_id,
      math.body.conversation_id,
      'web-chat-123',
      'bad-expression',
      'agent-failure',
    ]);
    expect(store.conversation('web-chat-123')?.fields).to.deep.include({
      name: 'Advanced Chat',
      source: 'api',
      device: 'desktop',
      customer_id: 'user-456',
      metadata: { endpoint: '/chat', message_length: 26 },
    });
    // The first LLM call (which asked for the tool) may be exported before the tool ran.
    expect(story(store.recordsOf(math.body.conversation_id)).filter((l) => l !== 'token_usage')).to.deep.equal([
      'conversation',
      'end_user: What is 127 multiplied by 8?',
      'action calculator → 1016',
      'agent: The answer is 1016.',
    ]);
    expect(rawStory(store.recordsOf(math.body.conversation_id)).at(-2), 'usage lands before the answer').to.equal(
      'token_usage',
    );
    expect(story(store.recordsOf('bad-expression')).filter((l) => l !== 'token_usage')).to.deep.equal([
      'conversation',
      'end_user: calculate: 2 +* 3',
      'action calculator ✗ unexpected * at token 3',
      'agent: I could not calculate that: unexpected * at token 3.',
    ]);
    expect(story(store.recordsOf('agent-failure'))).to.deep.equal([
      'conversation',
      'end_user: please fail',
      'action chat_error ✗ 400 The scripted model was asked to fail',
    ]);
    const calculator = store.recordsOf('web-chat-123').find((r) => r.body.action_name === 'calculator');
    expect(calculator?.body).to.deep.include({ tools_used: { tool: 'calculator' } });
    expect(calculator?.body.metadata).to.deep.include({ arguments: ['1016 / 4'] });
    expect(Object.keys(calculator?.body.metadata as object).sort()).to.deep.equal([
      'arguments',
      'otel.span_id',
      'otel.trace_id',
    ]);
    expect(calculator?.body.duration_ms).to.be.a('number');
    // Usage of the two LLM calls (the tool request, then the answer), in one or two exports.
    const usage = store
      .recordsOf('web-chat-123')
      .filter((r) => r.body.action_name === 'token_usage')
      .map((r) => r.body.metadata as { total_tokens: number });
    expect(usage.reduce((sum, u) => sum + u.total_tokens, 0)).to.be.greaterThan(0);
    expect(
      receiver().requests.filter((r) => r.status >= 400),
      'every request was accepted',
    ).to.deep.equal([]);
  });
});
