import { expect } from 'chai';
import { useExampleServer } from '../helpers/chat-server';
import { postJson } from '../helpers/processes';
import { itemLine, TEST_API_KEY, useReceiver } from '../helpers/receiver';

/*
 * The NestJS example chat app (examples/nestjs-chat), end to end over HTTP in a process of its
 * own with the offline scripted model: a turn with the calculator tool, its feedback, a new
 * conversation given its id by the pipe, and a request the guard refuses.
 */
describe('example NestJS chat app, end to end over HTTP (child process, scripted model)', function () {
  this.timeout(60_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  const example = useExampleServer(
    'build/examples/nestjs-chat/main.mjs',
    /nestjs chat server listening on (http:\/\/\S+)/,
    () => receiver().url,
  );

  const post = (path: string, body: unknown) => postJson(`${example().url}${path}`, body);

  it('tracks a turn with its tool call and answer, and the feedback on it', async () => {
    const answered = await post('/chat', {
      message: 'What is 127 multiplied by 8?',
      conversation_id: 'nest-example-1',
    });
    expect(answered).to.deep.equal({
      status: 200,
      body: { response: 'The answer is 1016.', conversation_id: 'nest-example-1' },
    });
    expect((await post('/feedback', { conversation_id: 'nest-example-1', sentiment: 'positive' })).status).to.equal(
      204,
    );
    const deadline = Date.now() + 10_000;
    const lines = () =>
      receiver()
        .store.recordsOf('nest-example-1')
        .map((r) => (r.kind === 'feedback' ? 'feedback' : r.kind === 'conversation' ? 'conversation' : itemLine(r)));
    while (!lines().includes('feedback') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const story = lines().filter((line) => !line.startsWith('tokens'));
    expect(story).to.deep.equal([
      'conversation',
      'end_user: What is 127 multiplied by 8?',
      'action calculator → 1016',
      'agent: The answer is 1016.',
      'feedback',
    ]);
    expect(
      lines().some((line) => line.startsWith('tokens')),
      'the LLM calls’ tokens',
    ).to.equal(true);
  });

  it('gives a new conversation its id through the pipe, and tracks nothing the guard refuses', async () => {
    const answered = await post('/chat', { message: 'Hello' });
    const id = answered.body?.conversation_id as string;
    expect(id).to.match(/^conv_[0-9a-f]{12}$/);
    expect((await post('/chat', { message: '   ', conversation_id: 'nest-example-refused' })).status).to.equal(403);
    const deadline = Date.now() + 10_000;
    while (receiver().store.recordsOf(id).length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(
      receiver()
        .store.recordsOf(id)
        .map((r) => r.kind),
    ).to.include.members(['conversation', 'message']);
    expect(receiver().store.recordsOf('nest-example-refused')).to.deep.equal([]);
  });
});
