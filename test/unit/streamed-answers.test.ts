import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReadableStream } from 'node:stream/web';
import { trackConversation } from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { Observable } from 'rxjs';
import { exposedGc } from '../helpers/gc';
import { useTracing } from '../helpers/tracing';

/*
 * A turn that answers with a stream: the agent message is what the consumer received, recorded
 * when the stream ends; the consumer sees the same chunks as without tracking, pulled as it
 * pulls; a consumer that stops or a stream that fails is recorded as such.
 */

const encoder = new TextEncoder();

/** A source that counts how many chunks were asked of it. */
function countingSource(parts: string[]): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const part = parts[pulled];
        pulled += 1;
        if (part === undefined) controller.close();
        else controller.enqueue(encoder.encode(part));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

describe('streamed answers as the agent message', () => {
  const tracing = useTracing();
  const agentMessages = () =>
    tracing()
      .spans()
      .filter((s) => s.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_SENDER] === 'agent')
      .map((s) => s.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]);
  const turnEnded = () => tracing().named('invoke_agent conversation').length === 1;

  it('a ReadableStream: the same bytes to the consumer, the text recorded when it ends', async () => {
    const parts = ['The answer ', 'is ', '42.'];
    const returned = await trackConversation({ conversationId: 'stream-1' }, async () => countingSource(parts).stream);
    expect(returned).to.be.instanceOf(ReadableStream);
    expect(agentMessages(), 'nothing recorded before the consumer reads').to.deep.equal([]);
    expect(turnEnded()).to.equal(false);
    expect(await readAll(returned)).to.equal('The answer is 42.');
    expect(agentMessages()).to.deep.equal(['The answer is 42.']);
    expect(turnEnded()).to.equal(true);
  });

  it('keeps backpressure: a slow consumer is not read ahead of', async () => {
    const parts = Array.from({ length: 1_000 }, (_, i) => `chunk ${i} `);
    const source = countingSource(parts);
    const returned = trackConversation({ conversationId: 'stream-2' }, () => source.stream);
    const reader = returned.getReader();
    for (let i = 0; i < 5; i++) await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Five chunks read, the source asked for at most one more: nothing buffered behind the consumer.
    expect(source.pulled()).to.be.at.most(6);
    await reader.cancel();
  });

  it('a consumer that cancels: what it received is the answer, and the source is cancelled', async () => {
    let cancelled: unknown;
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('partial '));
        controller.enqueue(encoder.encode('answer'));
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const returned = trackConversation({ conversationId: 'stream-3' }, () => source);
    const reader = returned.getReader();
    await reader.read();
    await reader.cancel('user left');
    expect(cancelled).to.equal('user left');
    expect(agentMessages()).to.deep.equal(['partial ']);
    expect(turnEnded()).to.equal(true);
  });

  it('a stream that fails: the consumer gets the error, the turn records it', async () => {
    const source = new ReadableStream<Uint8Array>({
      pull() {
        throw new Error('model went away');
      },
    });
    const returned = trackConversation({ conversationId: 'stream-4' }, () => source);
    const failure = await readAll(returned).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).to.equal('model went away');
    const turn = tracing().one('invoke_agent conversation');
    expect(turn.status.message).to.equal('model went away');
  });

  it('a streaming Response (what toUIMessageStreamResponse() returns): status, headers and body as they were', async () => {
    const returned = await trackConversation(
      { conversationId: 'stream-5' },
      async () =>
        new Response(countingSource(['data: {"type":"text","text":"Hi"}\n\n', 'data: [DONE]\n\n']).stream as never, {
          status: 201,
          headers: { 'content-type': 'text/event-stream', 'x-vercel-ai-ui-message-stream': 'v1' },
        }),
    );
    expect(returned.status).to.equal(201);
    expect(returned.headers.get('x-vercel-ai-ui-message-stream')).to.equal('v1');
    expect(await returned.text()).to.equal('data: {"type":"text","text":"Hi"}\n\ndata: [DONE]\n\n');
    expect(agentMessages()).to.deep.equal(['data: {"type":"text","text":"Hi"}\n\ndata: [DONE]\n\n']);
  });

  it('an RxJS Observable (NestJS @Sse): an Observable still, each value passed on, the events’ data recorded', async () => {
    const returned = trackConversation(
      { conversationId: 'stream-6' },
      () =>
        new Observable<{ data: string }>((subscriber) => {
          subscriber.next({ data: 'Hello' });
          subscriber.next({ data: ', world' });
          subscriber.complete();
        }),
    );
    expect(returned).to.be.instanceOf(Observable);
    const received: string[] = [];
    await new Promise<void>((resolve, reject) =>
      returned.subscribe({ next: (event) => received.push(event.data), error: reject, complete: resolve }),
    );
    expect(received).to.deep.equal(['Hello', ', world']);
    expect(agentMessages()).to.deep.equal(['Hello, world']);
  });

  it('an Observable unsubscribed early: what went through is the answer', () => {
    const returned = trackConversation(
      { conversationId: 'stream-7' },
      () =>
        new Observable<string>((subscriber) => {
          subscriber.next('first');
          const timer = setTimeout(() => subscriber.next('never'), 1_000);
          return () => clearTimeout(timer);
        }),
    );
    const subscription = returned.subscribe(() => undefined);
    subscription.unsubscribe();
    expect(agentMessages()).to.deep.equal(['first']);
  });

  it('a Node Readable: the same object, read as before (pipe, backpressure), its text recorded at its end', async () => {
    let produced = 0;
    const source = new Readable({
      highWaterMark: 4,
      read() {
        produced += 1;
        this.push(produced <= 100 ? `part ${produced};` : null);
      },
    });
    const returned = trackConversation({ conversationId: 'stream-8' }, () => source);
    expect(returned).to.equal(source);
    let consumed = 0;
    const slow = new Writable({
      highWaterMark: 4,
      write(_chunk, _encoding, done) {
        consumed += 1;
        if (consumed === 5) expect(produced - consumed, 'not read ahead of a slow consumer').to.be.at.most(8);
        setImmediate(done);
      },
    });
    await pipeline(returned, slow);
    const expected = Array.from({ length: 100 }, (_, i) => `part ${i + 1};`).join('');
    expect(agentMessages()).to.deep.equal([expected]);
  });

  it('a Node Readable that fails: the consumer’s own error handling sees it, the turn records it; an unhandled one still throws', async () => {
    const failing = new PassThrough();
    const returned = trackConversation({ conversationId: 'stream-9' }, () => failing);
    const seen = new Promise<string>((resolve) => returned.on('error', (error) => resolve(error.message)));
    returned.destroy(new Error('disk gone'));
    expect(await seen).to.equal('disk gone');
    expect(tracing().one('invoke_agent conversation').status.message).to.equal('disk gone');
    // No listener of ours: an error nobody handles is as unhandled as before.
    const bare = trackConversation({ conversationId: 'stream-10' }, () => new PassThrough());
    expect(bare.listenerCount('error')).to.equal(0);
    expect(() => bare.emit('error', new Error('nobody listens'))).to.throw('nobody listens');
  });

  it('any other async iterable (the OpenAI SDK’s Stream): the same object, iterated as before, its values recorded', async () => {
    class ChunkStream {
      readonly controller = 'kept';
      async *[Symbol.asyncIterator]() {
        yield 'Hello';
        yield ' again';
      }
    }
    const source = new ChunkStream();
    const returned = trackConversation({ conversationId: 'stream-11' }, () => source);
    expect(returned).to.equal(source);
    expect(returned.controller).to.equal('kept');
    let text = '';
    for await (const chunk of returned) text += chunk;
    expect(text).to.equal('Hello again');
    expect(agentMessages()).to.deep.equal(['Hello again']);
  });

  it('an OpenAI-SDK-shaped stream of chunk objects, with no agentMessage: its text is the answer (issue 30: never sent)', async () => {
    const chunk = (content: string | null) => ({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: content === null ? { role: 'assistant' } : { content }, finish_reason: null }],
    });
    class Stream {
      async *[Symbol.asyncIterator]() {
        yield chunk(null);
        yield chunk('It is ');
        yield chunk('42.');
        yield { id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { total_tokens: 9 } };
      }
    }
    const returned = trackConversation({ conversationId: 'stream-openai' }, () => new Stream());
    const seen: unknown[] = [];
    for await (const c of returned) seen.push(c);
    expect(seen).to.have.length(4);
    // And the Responses API's events, as the OpenAI Agents SDK streams them.
    async function* responses() {
      yield { type: 'response.created', response: {} };
      yield { type: 'response.output_text.delta', delta: 'Hi ' };
      yield { type: 'response.output_text.delta', delta: 'there' };
      yield { type: 'response.completed', response: { usage: {} } };
    }
    const events = responses();
    const iterable = { [Symbol.asyncIterator]: () => events };
    for await (const _ of trackConversation({ conversationId: 'stream-responses' }, () => iterable)) void _;
    expect(agentMessages()).to.deep.equal(['It is 42.', 'Hi there']);
  });

  it('keeps at most what it records, in characters, for every kind of chunk (1 MB chunks, streams held open)', async () => {
    const gc = exposedGc();
    const open: AsyncIterator<unknown>[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; n < 60; n++) {
      async function* big() {
        // A fresh 1 MB object (and 1 MB string) each step: the consumer drops them.
        yield { object: 'other', payload: 'p'.repeat(1_000_000) + n };
        yield `${n}${'s'.repeat(1_000_000)}`;
        await new Promise(() => undefined); // held open
      }
      const source = big();
      const returned = trackConversation({ conversationId: `held-${n}` }, () => ({
        [Symbol.asyncIterator]: () => source,
      }));
      const iterator = returned[Symbol.asyncIterator]();
      await iterator.next();
      await iterator.next();
      open.push(iterator);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // Recorded: 32,768 characters a stream at the default bound (≤ 64 KiB as UTF-16); 2× that each.
    expect(grown / open.length, 'bytes held per open stream').to.be.below(2 * 2 * 32_768 + 16_384);
    expect(open).to.have.length(60);
  });
});
