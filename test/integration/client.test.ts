import { AgentSightApiError, AgentSightClient, AgentSightConfigError } from 'agentsight-otel';
import { expect } from 'chai';
import { conversationBody, post, TEST_API_KEY, useReceiver } from '../helpers/receiver';

describe('AgentSightClient against the local receiver', () => {
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let client: AgentSightClient;
  beforeEach(() => {
    client = new AgentSightClient({ apiKey: TEST_API_KEY, endpoint: receiver().url, retryDelayMillis: 10 });
  });
  afterEach(() => client.close());

  async function create(conversationId: string, fields: Record<string, unknown> = {}): Promise<number> {
    const reply = await post(receiver(), '/api/conversations/', conversationBody(conversationId, fields));
    return reply.body.id as number;
  }

  const rejection = async (promise: Promise<unknown>): Promise<Error> =>
    promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: Error) => error,
    );

  it('submits feedback by string id and by primary key, checking its fields first', async () => {
    const pk = await create('fb-1');
    const byId = await client.submitFeedback('fb-1', 'positive', { comment: 'Spot on', metadata: { page: 'chat' } });
    expect(byId).to.include({ conversation: pk, sentiment: 'positive', source: 'customer', comment: 'Spot on' });
    await client.submitFeedback(pk, 'negative');
    const feedbacks = receiver().store.records.filter((r) => r.kind === 'feedback');
    expect(feedbacks.map((r) => r.body)).to.deep.equal([
      { sentiment: 'positive', conversation_id: 'fb-1', comment: 'Spot on', metadata: { page: 'chat' } },
      { sentiment: 'negative', conversation: pk },
    ]);
    expect(await rejection(client.submitFeedback('fb-1', 'great' as never))).to.be.instanceOf(TypeError);
    expect(await rejection(client.submitFeedback('fb-1', 'neutral', { comment: 'x'.repeat(5_001) }))).to.be.instanceOf(
      RangeError,
    );
    const missing = await rejection(client.submitFeedback(999, 'neutral'));
    expect(missing).to.be.instanceOf(AgentSightApiError).and.to.include({ status: 404 });
  });

  it('renames, marks, updates and soft-deletes, resolving string ids through the lookup', async () => {
    const pk = await create('manage-1', { name: 'Old' });
    expect(await client.renameConversation('manage-1', '  New name  ')).to.deep.equal({
      id: pk,
      conversation_id: 'manage-1',
      name: 'New name',
    });
    expect(await client.markConversation(pk, true)).to.include({ is_marked: true });
    await client.updateConversation('manage-1', { customerId: 'c-9', device: 'mobile', metadata: { tier: 'gold' } });
    const detail = await client.getConversation('manage-1');
    expect(detail).to.include({ id: pk, name: 'New name', customer_id: 'c-9', device: 'mobile', is_marked: true });
    expect(detail.metadata).to.deep.equal({ tier: 'gold' });
    const lookups = receiver().requests.filter((r) => r.path === '/api/conversations/lookup/');
    expect(lookups.length, 'a string id is resolved through the lookup endpoint').to.equal(3);

    const deleted = await client.deleteConversation('manage-1');
    expect(deleted).to.include({ is_deleted: true });
    const listed = async (includeDeleted: boolean) => {
      const ids: unknown[] = [];
      for await (const c of client.listConversations({ includeDeleted })) ids.push(c.conversation_id);
      return ids;
    };
    expect(await listed(false)).to.deep.equal([]);
    expect(await listed(true)).to.deep.equal(['manage-1']);
  });

  it('checks fields before any request, and passes the API’s own 400 on', async () => {
    await create('checks');
    const before = receiver().requests.length;
    expect(await rejection(client.renameConversation('checks', ' '))).to.be.instanceOf(TypeError);
    expect(await rejection(client.renameConversation('checks', 'n'.repeat(256)))).to.be.instanceOf(RangeError);
    expect(await rejection(client.updateConversation('checks', {}))).to.be.instanceOf(TypeError);
    expect(await rejection(client.markConversation(0, true))).to.be.instanceOf(TypeError);
    expect(receiver().requests.length, 'no request for a call that cannot be valid').to.equal(before);
    const refused = await rejection(client.updateConversation('checks', { device: 'toaster' }));
    expect(refused).to.be.instanceOf(AgentSightApiError).and.to.include({ status: 400 });
    expect(refused.message).to.match(/device: "toaster" is not a valid choice/);
  });

  it('looks up an id, and rejects a miss with status 404', async () => {
    const pk = await create('lookup-me');
    expect(await client.lookupConversation('lookup-me')).to.deep.equal({ id: pk, conversation_id: 'lookup-me' });
    const miss = await rejection(client.lookupConversation('nobody'));
    expect(miss).to.be.instanceOf(AgentSightApiError).and.to.include({ status: 404 });
  });

  it('iterates every page of a filtered list', async () => {
    for (let i = 0; i < 25; i++) await create(`page-${i}`, { language: i % 5 === 0 ? 'es' : 'en' });
    const seen: string[] = [];
    for await (const c of client.listConversations({ language: 'en', pageSize: 7 }))
      seen.push(String(c.conversation_id));
    expect(seen).to.have.length(20);
    expect(new Set(seen).size).to.equal(20);
    const pages = receiver().requests.filter((r) => r.path === '/api/conversations/' && r.method === 'GET');
    expect(pages).to.have.length(3);
  });

  it('reads a conversation’s attachments', async () => {
    const pk = await create('with-files');
    await post(receiver(), '/api/attachments/', {
      timestamp: '2026-02-08T13:36:00.000000+00:00',
      conversation_id: 'with-files',
      conversation: pk,
      attachments: [{ filename: 'a.txt', mime_type: 'text/plain', data: 'aGVsbG8=' }],
      metadata: {},
      mode: 'base64',
      sender: 'end_user',
    });
    const files = await client.getConversationAttachments(pk);
    expect(files).to.include({ conversation: pk, total_attachments: 1 });
  });

  it('retries idempotent calls on 503, honouring Retry-After, but never resends feedback', async () => {
    await create('retry');
    receiver().faults.script({ path: '/api/conversations/lookup/', status: 503, retryAfter: 0 });
    expect((await client.lookupConversation('retry')).id).to.be.a('number');
    receiver().faults.script({ path: '/api/conversation-feedbacks/', status: 503 });
    const failed = await rejection(client.submitFeedback('retry', 'neutral'));
    expect(failed).to.include({ status: 503 });
    expect(receiver().store.records.filter((r) => r.kind === 'feedback')).to.have.length(0);
  });

  it('rejects every call with the configuration error when the key is unusable', async () => {
    const broken = new AgentSightClient({ apiKey: 'nope', endpoint: receiver().url });
    expect(await rejection(broken.lookupConversation('x'))).to.be.instanceOf(AgentSightConfigError);
    await broken.close();
  });
});
