import { expect } from 'chai';
import { conversationBody, get, post, TEST_API_KEY, useReceiver } from '../helpers/receiver';

const T = (s: number) => `2026-02-08T13:36:${String(s).padStart(2, '0')}.000000+00:00`;

describe('local receiver: the AgentSight contract', () => {
  const server = useReceiver();

  /** Creates a conversation and returns its backend id. */
  async function create(conversationId: string): Promise<number> {
    const reply = await post(server(), '/api/conversations/', conversationBody(conversationId));
    expect(reply.status).to.equal(201);
    return reply.body.id;
  }

  it('answers 400, not 500, to a choice field that is an object whose toString is not a function (found by the fuzzer)', async () => {
    const track = await post(server(), '/api/track/', { sender: { toString: {} } });
    expect(track.status).to.equal(400);
    expect(track.body.sender[0]).to.equal('"{"toString":{}}" is not a valid choice. Allowed: end_user, agent, system.');
    const conversation = await post(
      server(),
      '/api/conversations/',
      conversationBody('c', { device: { valueOf: {} } }),
    );
    expect(conversation.status).to.equal(400);
  });

  describe('authentication', () => {
    it('rejects a request without Authorization, with the API detail text', async () => {
      const reply = await post(server(), '/api/conversations/', conversationBody('a'), { key: null });
      expect(reply.status).to.equal(401);
      expect(reply.body).to.deep.equal({ detail: 'Authentication credentials were not provided.' });
    });

    for (const bad of [
      'ags_1a2b3c4d5e6f7890abcdef123456789_a1b2c3',
      'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3d',
      'wrong_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3',
      ` ${TEST_API_KEY}`,
      'invalid-key-format',
    ]) {
      it(`rejects the malformed key "${bad}"`, async () => {
        const reply = await post(server(), '/api/conversations/', conversationBody('a'), { key: bad });
        expect(reply.status).to.equal(401);
        expect(reply.body).to.deep.equal({ detail: 'Invalid API key.' });
      });
    }

    it('accepts upper-case hex, as the SDK does', async () => {
      const reply = await post(server(), '/api/conversations/', conversationBody('a'), {
        key: TEST_API_KEY.toUpperCase().replace('AGS_', 'ags_'),
      });
      expect(reply.status).to.equal(201);
    });

    it('rejects the "Bearer" scheme', async () => {
      const reply = await post(server(), '/api/conversations/', conversationBody('a'), {
        key: null,
        headers: { authorization: `Bearer ${TEST_API_KEY}` },
      });
      expect(reply.status).to.equal(401);
    });
  });

  describe('POST /api/conversations/', () => {
    it('creates once and returns the same id afterwards, keeping the first values', async () => {
      const first = await post(server(), '/api/conversations/', conversationBody('conv-1', { customer_id: 'c1' }));
      expect(first.status).to.equal(201);
      expect(first.body.id).to.be.a('number');
      const second = await post(server(), '/api/conversations/', conversationBody('conv-1', { customer_id: 'c2' }));
      expect(second.status).to.equal(200);
      expect(second.body.id).to.equal(first.body.id);
      const stored = server().store.conversation('conv-1');
      expect(stored?.fields.customer_id).to.equal('c1');
      expect(stored?.createCalls).to.equal(2);
    });

    it('rejects a missing or blank conversation_id, bad choices, a non-object metadata and a long name', async () => {
      const reply = await post(server(), '/api/conversations/', {
        ...conversationBody('  '),
        device: 'phone',
        environment: 'staging',
        metadata: [1],
        name: 'n'.repeat(256),
        is_used: 'yes',
      });
      expect(reply.status).to.equal(400);
      expect(reply.body).to.have.keys(['conversation_id', 'device', 'environment', 'metadata', 'name', 'is_used']);
      expect(reply.body.conversation_id).to.deep.equal(['This field may not be blank.']);
      const { conversation_id: _id, ...withoutId } = conversationBody('x');
      const missing = await post(server(), '/api/conversations/', withoutId);
      expect(missing.body).to.deep.equal({ conversation_id: ['This field is required.'] });
    });

    it('rejects fields the contract does not define', async () => {
      const reply = await post(server(), '/api/conversations/', { ...conversationBody('x'), customerId: 'c' });
      expect(reply.status).to.equal(400);
      expect(reply.body).to.deep.equal({ customerId: ['Unknown field.'] });
    });
  });

  describe('POST /api/track/', () => {
    it('accepts a linked message and returns its id', async () => {
      const id = await create('conv-m');
      const reply = await post(server(), '/api/track/', {
        timestamp: T(1),
        content: 'hi',
        sender: 'end_user',
        conversation_id: 'conv-m',
        metadata: {},
        conversation: id,
      });
      expect(reply.status).to.equal(201);
      expect(reply.body.id).to.be.a('number');
      expect(
        server()
          .store.recordsOf('conv-m')
          .map((r) => r.kind),
      ).to.deep.equal(['conversation', 'message']);
    });

    it('rejects blank content, an unknown sender, a non-ISO timestamp and missing metadata', async () => {
      const id = await create('conv-m');
      const reply = await post(server(), '/api/track/', {
        timestamp: '2026-02-08 13:36:00',
        content: ' \n',
        sender: 'bot',
        conversation_id: 'conv-m',
        conversation: id,
      });
      expect(reply.status).to.equal(400);
      expect(reply.body).to.have.keys(['timestamp', 'content', 'sender', 'metadata']);
    });

    it('enforces linking: the conversation must exist, and `conversation` must be its id', async () => {
      const message = (conversation: unknown, conversationId = 'conv-l') => ({
        timestamp: T(1),
        content: 'hi',
        sender: 'agent',
        conversation_id: conversationId,
        metadata: {},
        conversation,
      });
      const unknown = await post(server(), '/api/track/', message(1, 'never-created'));
      expect(unknown.status).to.equal(400);
      expect(unknown.body.conversation_id[0]).to.match(/create it first/);
      const id = await create('conv-l');
      const other = await create('conv-other');
      expect((await post(server(), '/api/track/', message(null))).body.conversation[0]).to.match(/may not be null/);
      expect((await post(server(), '/api/track/', message(other))).body.conversation[0]).to.match(/is not "conv-l"/);
      expect((await post(server(), '/api/track/', message('1'))).status).to.equal(400);
      expect((await post(server(), '/api/track/', message(id))).status).to.equal(201);
    });
  });

  describe('POST /api/action_logs/', () => {
    const action = (conversation: number, extra: Record<string, unknown> = {}) => ({
      timestamp: T(3),
      action_name: 'calculator',
      conversation_id: 'conv-a',
      metadata: {},
      started_at: T(2),
      ended_at: T(3),
      duration_ms: 1000,
      tools_used: { tool: 'calculator' },
      response: '1016',
      conversation,
      ...extra,
    });

    it('accepts a complete action', async () => {
      const id = await create('conv-a');
      expect((await post(server(), '/api/action_logs/', action(id))).status).to.equal(201);
      expect(
        (await post(server(), '/api/action_logs/', action(id, { error_msg: 'division by zero' }))).status,
      ).to.equal(201);
    });

    it('rejects a fractional duration, array tools_used, a blank name and an end before the start', async () => {
      const id = await create('conv-a');
      const reply = await post(
        server(),
        '/api/action_logs/',
        action(id, { duration_ms: 12.5, tools_used: ['calculator'], action_name: '', ended_at: T(1) }),
      );
      expect(reply.status).to.equal(400);
      expect(reply.body).to.have.keys(['duration_ms', 'tools_used', 'action_name', 'ended_at']);
    });
  });

  describe('POST /api/buttons/ and /api/attachments/ and /api/conversation-feedbacks/', () => {
    it('accepts a button click and rejects a blank label', async () => {
      const id = await create('conv-b');
      const button = {
        timestamp: T(4),
        button_event: 'ev',
        label: 'L',
        value: 'V',
        conversation_id: 'conv-b',
        metadata: {},
        conversation: id,
      };
      expect((await post(server(), '/api/buttons/', button)).status).to.equal(201);
      const blank = await post(server(), '/api/buttons/', { ...button, label: '  ' });
      expect(blank.body).to.deep.equal({ label: ['This field may not be blank.'] });
    });

    it('accepts base64 attachments, rejects bad base64 and malformed multipart', async () => {
      const id = await create('conv-f');
      const upload = (data: string) => ({
        timestamp: T(5),
        attachments: [{ filename: 'b.txt', mime_type: 'text/plain', data }],
        metadata: {},
        mode: 'base64',
        sender: 'end_user',
        conversation_id: 'conv-f',
        conversation: id,
      });
      expect((await post(server(), '/api/attachments/', upload('aGk='))).status).to.equal(201);
      expect((await post(server(), '/api/attachments/', upload('aGk'))).status).to.equal(400);
      const multipart = await post(server(), '/api/attachments/', '--x--', {
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
      });
      expect(multipart.status).to.equal(400);
    });

    /** A multipart upload as fetch encodes it (the receiver must not share the sender's encoder). */
    const multipart = async (parts: [string, string | Blob, string?][]) => {
      const form = new FormData();
      for (const [name, value, filename] of parts) {
        if (typeof value === 'string') form.append(name, value);
        else form.append(name, value, filename);
      }
      const response = await fetch(`${server().url}/api/attachments/`, {
        method: 'POST',
        headers: { authorization: `Api-Key ${TEST_API_KEY}` },
        body: form,
      });
      return { status: response.status, body: await response.json() };
    };

    it('accepts a multipart upload linked to a message of its conversation, and checks every part', async () => {
      const id = await create('conv-m');
      const message = await post(server(), '/api/track/', {
        timestamp: T(6),
        content: 'see attached',
        sender: 'end_user',
        conversation_id: 'conv-m',
        metadata: {},
        conversation: id,
      });
      const png = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], { type: 'image/png' });
      const good: [string, string | Blob, string?][] = [
        ['timestamp', T(7)],
        ['conversation', String(id)],
        ['sender', 'end_user'],
        ['mode', 'form_data'],
        ['metadata', '{}'],
        ['attachment_0', png, 'photo é.png'],
        ['message', String(message.body.id)],
      ];
      const accepted = await multipart(good);
      expect(accepted.status).to.equal(201);
      const stored = server()
        .store.recordsOf('conv-m')
        .find((r) => r.kind === 'attachments');
      expect(stored?.body).to.deep.include({ message: message.body.id, conversation: id, mode: 'form_data' });
      expect(stored?.body.attachments).to.deep.equal([
        {
          filename: 'photo é.png',
          mime_type: 'image/png',
          size_bytes: 7,
          sha256: 'cdf3cefe7ec6253d1cb4828ab654da6beb8a4727daac0c49dbf26bedf5887f79',
        },
      ]);
      const file = await fetch(`${server().url}/files/${stored?.id}/0`);
      expect(Buffer.from(await file.arrayBuffer())).to.deep.equal(Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));

      const without = (name: string) => good.filter(([n]) => n !== name);
      expect((await multipart(without('timestamp'))).body).to.have.property('timestamp');
      expect((await multipart(without('attachment_0'))).body).to.have.property('attachments');
      expect((await multipart([...without('mode'), ['mode', 'base64']])).body).to.have.property('mode');
      expect((await multipart([...good, ['conversation_id', 'conv-m']])).body).to.have.property('conversation_id');
      expect((await multipart([...without('message'), ['message', '999']])).body).to.have.property('message');
      expect((await multipart([...without('conversation'), ['conversation', '999']])).body).to.have.property(
        'conversation',
      );
      expect((await multipart([...without('metadata'), ['metadata', '[1]']])).body).to.have.property('metadata');
    });

    it('takes feedback for a known conversation and 404s an unknown one', async () => {
      await create('conv-fb');
      const ok = await post(server(), '/api/conversation-feedbacks/', {
        sentiment: 'positive',
        conversation_id: 'conv-fb',
        comment: 'great',
      });
      expect(ok.status).to.equal(201);
      expect(ok.body).to.include({ sentiment: 'positive', source: 'customer' });
      const bad = await post(server(), '/api/conversation-feedbacks/', {
        sentiment: 'meh',
        conversation_id: 'conv-fb',
      });
      expect(bad.body).to.have.keys(['sentiment']);
      const unknown = await post(server(), '/api/conversation-feedbacks/', {
        sentiment: 'neutral',
        conversation_id: 'nope',
      });
      expect(unknown.status).to.equal(404);
    });
  });

  describe('transport', () => {
    it('answers 415 to non-JSON, 400 to broken JSON, 413 to an oversized body, 405 and 404 as DRF does', async () => {
      expect((await post(server(), '/api/track/', 'x', { headers: { 'content-type': 'text/plain' } })).status).to.equal(
        415,
      );
      const broken = await post(server(), '/api/track/', '{"a":');
      expect(broken.status).to.equal(400);
      expect(broken.body.detail).to.match(/^JSON parse error/);
      const list = await post(server(), '/api/track/', '[1,2]');
      expect(list.body).to.deep.equal({ non_field_errors: ['Invalid data. Expected a dictionary.'] });
      const huge = await post(server(), '/api/track/', { content: 'x'.repeat(1024 * 1024 + 10) });
      expect(huge.status).to.equal(413);
      const put = await fetch(`${server().url}/api/track/`, {
        method: 'PUT',
        headers: { authorization: `Api-Key ${TEST_API_KEY}` },
      });
      expect(put.status).to.equal(405);
      expect((await post(server(), '/api/nothing/', {})).status).to.equal(404);
    });

    it('stores an item once when the same Idempotency-Key is sent again, replaying the answer', async () => {
      const id = await create('conv-i');
      const message = {
        timestamp: T(1),
        content: 'once',
        sender: 'end_user',
        conversation_id: 'conv-i',
        metadata: {},
        conversation: id,
      };
      const headers = { 'idempotency-key': 'item-1' };
      const first = await post(server(), '/api/track/', message, { headers });
      const again = await post(server(), '/api/track/', message, { headers });
      expect(again.body).to.deep.equal(first.body);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(
        server()
          .store.recordsOf('conv-i')
          .filter((r) => r.kind === 'message'),
      ).to.have.length(1);
      const other = await post(server(), '/api/track/', message, { headers: { 'idempotency-key': 'item-2' } });
      expect(other.body.id).to.not.equal(first.body.id);
    });
  });

  describe('read endpoints', () => {
    it('lists, filters, looks up and details conversations', async () => {
      const id = await create('conv-r');
      await create('conv-s');
      await post(server(), '/api/track/', {
        timestamp: T(1),
        content: 'hello',
        sender: 'end_user',
        conversation_id: 'conv-r',
        metadata: {},
        conversation: id,
      });
      const list = await get(server(), '/api/conversations/?page_size=1');
      expect(list.body.count).to.equal(2);
      expect(list.body.next).to.match(/page=2/);
      const filtered = await get(server(), '/api/conversations/?conversation_id=conv-r');
      expect(filtered.body.results.map((c: { conversation_id: string }) => c.conversation_id)).to.deep.equal([
        'conv-r',
      ]);
      expect(filtered.body.results[0].messages[0].content).to.equal('hello');
      expect((await get(server(), '/api/conversations/lookup/?conversation_id=conv-r')).body).to.deep.equal({
        id,
        conversation_id: 'conv-r',
      });
      expect((await get(server(), `/api/conversations/${id}/`)).body.conversation_id).to.equal('conv-r');
      expect((await get(server(), '/api/conversations/999/')).status).to.equal(404);
    });
  });
});
