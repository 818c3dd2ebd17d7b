import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { TrackAction, TrackConversation, trackAction } from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { decoratorMode, expectedModeLabel } from '../helpers/decorator-mode';
import { useTracing } from '../helpers/tracing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A thenable that is not a promise: lazy (runs only when awaited), with a method and a private field. */
class LazyQuery implements PromiseLike<number> {
  #value: number;
  runs = 0;
  constructor(value: number) {
    this.#value = value;
  }
  limit(n: number): LazyQuery {
    this.#value = Math.min(this.#value, n);
    return this;
  }
  // biome-ignore lint/suspicious/noThenProperty: a thenable is what is being tested
  then<A = number, B = never>(
    onFulfilled?: ((value: number) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    this.runs += 1;
    const value = this.#value;
    return new Promise<number>((resolve, reject) =>
      setTimeout(() => (value < 0 ? reject(new Error('negative')) : resolve(value)), 5),
    ).then(onFulfilled, onRejected);
  }
}

class Tools {
  factor = 10;

  @TrackAction()
  add(a: number, b: number): number {
    return a + b;
  }

  @TrackAction('scale')
  scale(x: number): number {
    return x * this.factor;
  }

  @TrackAction({ name: 'divide', toolsUsed: { tool: 'calculator' }, metadata: (a: number, b: number) => ({ a, b }) })
  divide(a: number, b: number): number {
    if (b === 0) throw new RangeError('division by zero');
    return a / b;
  }

  @TrackAction({ captureArguments: false, captureResponse: false })
  secret(token: string): string {
    return `${token}!`;
  }

  @TrackAction()
  async fetchLater(value: string, ms = 20): Promise<string> {
    await sleep(ms);
    return value;
  }

  @TrackAction()
  async failLater(): Promise<never> {
    await sleep(5);
    throw new TypeError('remote failed');
  }

  @TrackAction()
  query(value: number): LazyQuery {
    return new LazyQuery(value);
  }

  @TrackAction()
  async *stream(words: string[], failAt = -1): AsyncGenerator<string> {
    for (const [i, word] of words.entries()) {
      await sleep(1);
      if (i === failAt) throw new Error(`failed at ${i}`);
      yield i === 0 ? word : ` ${word}`;
    }
  }

  @TrackAction()
  async *objects(): AsyncGenerator<{ n: number }> {
    yield { n: 1 };
    yield { n: 2 };
  }

  @TrackAction()
  async *streamWithInnerAction(): AsyncGenerator<number> {
    await sleep(1);
    yield trackAction('inner', () => 1);
    await sleep(1);
    yield trackAction('inner', () => 2);
  }

  @TrackAction()
  static describe(): string {
    return 'static';
  }
}

interface ChatRequest {
  message: string;
  conversationId?: string;
  customerId?: string;
}

class Chat {
  tools = new Tools();

  @TrackConversation({
    name: 'Support',
    source: 'api',
    device: 'desktop',
    language: 'en',
    environment: 'production',
    customerIpAddress: '203.0.113.7',
    conversationId: (req: ChatRequest) => req.conversationId,
    customerId: (req: ChatRequest) => req.customerId,
    metadata: (req: ChatRequest) => ({ length: req.message.length }),
    humanMessage: (req: ChatRequest) => req.message,
  })
  async reply(_req: ChatRequest): Promise<string> {
    await sleep(2);
    const sum = this.tools.add(1, 2);
    await sleep(2);
    return `sum is ${sum}`;
  }

  @TrackConversation({ humanMessage: (text: string) => text })
  sync(text: string): string {
    return text.toUpperCase();
  }

  @TrackConversation({
    agentName: 'helper',
    humanMessage: (text: string) => text,
    agentMessage: (result: { answer: string; confidence: number }) => ({
      content: result.answer,
      metadata: { confidence: result.confidence },
    }),
  })
  structured(text: string): { answer: string; confidence: number } {
    return { answer: `echo ${text}`, confidence: 0.5 };
  }

  @TrackConversation({ humanMessage: (text: string) => text })
  async *streamed(text: string): AsyncGenerator<string> {
    for (const word of text.split(' ')) {
      await sleep(1);
      yield `${word}.`;
    }
  }

  @TrackConversation({ conversationId: (id: string) => id })
  async outer(_id: string): Promise<string> {
    await sleep(1);
    return this.inner();
  }

  @TrackConversation({ name: 'inner turn' })
  async inner(): Promise<string> {
    await sleep(1);
    return 'inner reply';
  }

  @TrackConversation({
    conversationId: () => {
      throw new Error('broken option');
    },
    humanMessage: (text: string) => text,
  })
  brokenOption(text: string): string {
    return text;
  }

  @TrackConversation({ conversationId: (id: string) => id, humanMessage: (_id: string, text: string) => text })
  async interleaved(id: string, _text: string, delays: number[]): Promise<string> {
    for (const delay of delays) {
      await sleep(delay);
      await this.tools.fetchLater(`${id}:${delay}`, delay);
    }
    return `${id} done`;
  }
}

function attributesOf(span: ReadableSpan) {
  return span.attributes;
}

describe(`decorators under ${decoratorMode.label}`, () => {
  const tracing = useTracing();

  it('is compiled in the mode its build directory names', () => {
    const expected = expectedModeLabel(__dirname);
    expect(expected, `unexpected build directory ${__dirname}`).to.be.a('string');
    expect(decoratorMode.label).to.equal(expected);
  });

  describe('@TrackAction', () => {
    it('returns a sync value unchanged, with this and the arguments intact', () => {
      const tools = new Tools();
      expect(tools.add(2, 3)).to.equal(5);
      expect(tools.scale(4)).to.equal(40);
      const add = tracing().one('execute_tool add');
      expect(add.kind).to.equal(SpanKind.INTERNAL);
      expect(attributesOf(add)).to.include({
        [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: 'action',
        [semconv.ATTR_AGENTSIGHT_ACTION_NAME]: 'add',
        [semconv.ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
        [semconv.ATTR_GEN_AI_TOOL_NAME]: 'add',
        [semconv.ATTR_AGENTSIGHT_ACTION_ARGUMENTS]: '[2,3]',
        [semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]: '5',
      });
      expect(add.status.code).to.equal(SpanStatusCode.UNSET);
      expect(tracing().one('execute_tool scale').attributes[semconv.ATTR_AGENTSIGHT_ACTION_NAME]).to.equal('scale');
    });

    it('keeps the method name and length', () => {
      expect(Tools.prototype.add.name).to.equal('add');
      expect(Tools.prototype.add.length).to.equal(2);
      expect(Tools.prototype.stream.name).to.equal('stream');
      expect(Tools.describe.name).to.equal('describe');
    });

    it('works on static methods', () => {
      expect(Tools.describe()).to.equal('static');
      expect(tracing().one('execute_tool describe').attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).to.equal(
        'static',
      );
    });

    it('rethrows the very same error and records it on an ended span', () => {
      const tools = new Tools();
      let caught: unknown;
      try {
        tools.divide(1, 0);
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(RangeError);
      expect((caught as Error).message).to.equal('division by zero');
      const span = tracing().one('execute_tool divide');
      expect(span.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'division by zero' });
      expect(span.attributes[semconv.ATTR_ERROR_TYPE]).to.equal('RangeError');
      expect(span.events.map((e) => e.name)).to.deep.equal(['exception']);
      expect(span.events[0]?.attributes?.['exception.message']).to.equal('division by zero');
      expect(span.attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).to.equal(undefined);
    });

    it('records tools used, metadata from the arguments, and respects capture switches', () => {
      const tools = new Tools();
      expect(tools.divide(6, 3)).to.equal(2);
      expect(tools.secret('abc')).to.equal('abc!');
      const divide = tracing().one('execute_tool divide');
      expect(JSON.parse(divide.attributes[semconv.ATTR_AGENTSIGHT_ACTION_TOOLS_USED] as string)).to.deep.equal({
        tool: 'calculator',
      });
      expect(JSON.parse(divide.attributes[semconv.ATTR_AGENTSIGHT_ACTION_METADATA] as string)).to.deep.equal({
        a: 6,
        b: 3,
      });
      const secret = tracing().one('execute_tool secret');
      expect(secret.attributes).not.to.have.property(semconv.ATTR_AGENTSIGHT_ACTION_ARGUMENTS);
      expect(secret.attributes).not.to.have.property(semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE);
    });

    it('keeps an async method async and ends its span when the promise settles', async () => {
      const tools = new Tools();
      const pending = tools.fetchLater('later', 20);
      expect(pending).to.be.instanceOf(Promise);
      expect(tracing().spans()).to.have.length(0);
      expect(await pending).to.equal('later');
      const span = tracing().one('execute_tool fetchLater');
      expect(span.attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).to.equal('later');
      const durationMs = span.duration[0] * 1e3 + span.duration[1] / 1e6;
      expect(durationMs).to.be.greaterThanOrEqual(15);
    });

    it('passes an async rejection through and marks the span as failed', async () => {
      const tools = new Tools();
      const error = await tools.failLater().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(TypeError);
      const span = tracing().one('execute_tool failLater');
      expect(span.status.code).to.equal(SpanStatusCode.ERROR);
      expect(span.attributes[semconv.ATTR_ERROR_TYPE]).to.equal('TypeError');
    });

    it('returns a thenable as the same kind of object, runs it once, and ends the span when it is awaited', async () => {
      const tools = new Tools();
      const query = tools.query(50);
      expect(query).to.be.instanceOf(LazyQuery);
      expect(query.limit(7)).to.be.instanceOf(LazyQuery);
      await sleep(10);
      expect(tracing().spans(), 'a lazy thenable is not run before it is awaited').to.have.length(0);
      expect(await query).to.equal(7);
      expect(query.runs).to.equal(1);
      expect(tracing().one('execute_tool query').attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).to.equal('7');

      const failing = tools.query(-1);
      const error = await Promise.resolve(failing).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.equal('negative');
      expect(tracing().named('execute_tool query')[1]?.status.code).to.equal(SpanStatusCode.ERROR);
    });

    it('ends an async generator span when the stream is exhausted, with the chunks joined', async () => {
      const tools = new Tools();
      const stream = tools.stream(['a', 'b', 'c']);
      expect(Object.prototype.toString.call(stream)).to.equal('[object AsyncGenerator]');
      const seen: string[] = [];
      for await (const chunk of stream) {
        seen.push(chunk);
        expect(tracing().spans(), 'the span is open while the stream is consumed').to.have.length(0);
      }
      expect(seen).to.deep.equal(['a', ' b', ' c']);
      const span = tracing().one('execute_tool stream');
      expect(span.attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).to.equal('a b c');
      expect(span.status.code).to.equal(SpanStatusCode.UNSET);
    });

    it('records non-string chunks as a JSON array', async () => {
      const chunks = [];
      for await (const chunk of new Tools().objects()) chunks.push(chunk);
      expect(chunks).to.deep.equal([{ n: 1 }, { n: 2 }]);
      expect(tracing().one('execute_tool objects').attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).to.equal(
        '[{"n":1},{"n":2}]',
      );
    });

    it('ends an abandoned stream (break) with what was yielded so far', async () => {
      for await (const chunk of new Tools().stream(['a', 'b', 'c'])) {
        if (chunk === ' b') break;
      }
      const span = tracing().one('execute_tool stream');
      expect(span.attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).to.equal('a b');
    });

    it('ends a failing stream with the error, which reaches the consumer', async () => {
      const seen: string[] = [];
      const error = await (async () => {
        for await (const chunk of new Tools().stream(['a', 'b', 'c'], 2)) seen.push(chunk);
      })().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.equal('failed at 2');
      expect(seen).to.deep.equal(['a', ' b']);
      const span = tracing().one('execute_tool stream');
      expect(span.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'failed at 2' });
    });

    it('runs the generator body in the span context, so work done while streaming is its child', async () => {
      const values: number[] = [];
      for await (const value of new Tools().streamWithInnerAction()) values.push(value);
      expect(values).to.deep.equal([1, 2]);
      const outer = tracing().one('execute_tool streamWithInnerAction');
      const inner = tracing().named('execute_tool inner');
      expect(inner).to.have.length(2);
      for (const span of inner) expect(span.parentSpanContext?.spanId).to.equal(outer.spanContext().spanId);
    });

    it('records an action outside any conversation without conversation attributes', () => {
      new Tools().add(1, 1);
      const span = tracing().one('execute_tool add');
      expect(span.attributes).not.to.have.property(semconv.ATTR_AGENTSIGHT_CONVERSATION_ID);
      expect(span.attributes).not.to.have.property(semconv.ATTR_GEN_AI_CONVERSATION_ID);
    });

    it('refuses to decorate something that is not a method, saying so', () => {
      expect(() => {
        const decorator = TrackAction() as unknown as (...args: unknown[]) => unknown;
        if (decoratorMode.form === 'standard') decorator(undefined, { kind: 'field', name: 'x' });
        else decorator({}, 'x', undefined);
      }).to.throw(TypeError, /@TrackAction decorates methods/);
    });
  });

  describe('@TrackConversation', () => {
    it('makes a self-describing invoke_agent span with the conversation fields', async () => {
      const chat = new Chat();
      const reply = await chat.reply({ message: 'hello there', conversationId: 'conv-1', customerId: 'cust-9' });
      expect(reply).to.equal('sum is 3');
      const turn = tracing().one('invoke_agent reply');
      expect(turn.kind).to.equal(SpanKind.INTERNAL);
      expect(turn.attributes).to.include({
        [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: 'conversation',
        [semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]: 'conv-1',
        [semconv.ATTR_GEN_AI_CONVERSATION_ID]: 'conv-1',
        [semconv.ATTR_GEN_AI_OPERATION_NAME]: 'invoke_agent',
        [semconv.ATTR_AGENTSIGHT_CONVERSATION_NAME]: 'Support',
        [semconv.ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID]: 'cust-9',
        [semconv.ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS]: '203.0.113.7',
        [semconv.ATTR_AGENTSIGHT_CONVERSATION_DEVICE]: 'desktop',
        [semconv.ATTR_AGENTSIGHT_CONVERSATION_SOURCE]: 'api',
        [semconv.ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE]: 'en',
        [semconv.ATTR_AGENTSIGHT_CONVERSATION_ENVIRONMENT]: 'production',
      });
      expect(JSON.parse(turn.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_METADATA] as string)).to.deep.equal({
        length: 11,
      });
    });

    it('records the human message, the action and the agent reply in order, each self-describing', async () => {
      await new Chat().reply({ message: 'hello', conversationId: 'conv-2', customerId: 'c' });
      const names = tracing()
        .spans()
        .map((s) => s.name);
      expect(names).to.deep.equal([
        'agentsight.human_message',
        'execute_tool add',
        'agentsight.agent_message',
        'invoke_agent reply',
      ]);
      const turn = tracing().one('invoke_agent reply');
      for (const span of tracing().spans()) {
        expect(span.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID], span.name).to.equal('conv-2');
        expect(span.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID], span.name).to.equal('c');
        expect(span.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_NAME], span.name).to.equal('Support');
        if (span !== turn) expect(span.parentSpanContext?.spanId, span.name).to.equal(turn.spanContext().spanId);
      }
      expect(tracing().one('agentsight.human_message').attributes).to.include({
        [semconv.ATTR_AGENTSIGHT_SPAN_KIND]: 'message',
        [semconv.ATTR_AGENTSIGHT_MESSAGE_SENDER]: 'end_user',
        [semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]: 'hello',
      });
      expect(tracing().one('agentsight.agent_message').attributes).to.include({
        [semconv.ATTR_AGENTSIGHT_MESSAGE_SENDER]: 'agent',
        [semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]: 'sum is 3',
      });
    });

    it('generates a conversation id when none is given', () => {
      expect(new Chat().sync('hi')).to.equal('HI');
      const id = tracing().one('invoke_agent sync').attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID];
      expect(id).to.match(/^conv_[0-9a-f]{12}$/);
      expect(tracing().one('agentsight.agent_message').attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]).to.equal(
        'HI',
      );
    });

    it('takes the reply and its metadata from agentMessage, and names the agent', () => {
      const result = new Chat().structured('ping');
      expect(result).to.deep.equal({ answer: 'echo ping', confidence: 0.5 });
      const turn = tracing().one('invoke_agent helper');
      expect(turn.attributes[semconv.ATTR_GEN_AI_AGENT_NAME]).to.equal('helper');
      const agent = tracing().one('agentsight.agent_message');
      expect(agent.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]).to.equal('echo ping');
      expect(JSON.parse(agent.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_METADATA] as string)).to.deep.equal({
        confidence: 0.5,
      });
    });

    it('records a streamed reply when the stream ends', async () => {
      const chunks: string[] = [];
      for await (const chunk of new Chat().streamed('one two')) chunks.push(chunk);
      expect(chunks).to.deep.equal(['one.', 'two.']);
      expect(tracing().one('agentsight.agent_message').attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]).to.equal(
        'one.two.',
      );
      const names = tracing()
        .spans()
        .map((s) => s.name);
      expect(names.indexOf('agentsight.agent_message')).to.be.lessThan(names.indexOf('invoke_agent streamed'));
    });

    it('lets a nested turn inherit the enclosing conversation and its fields', async () => {
      expect(await new Chat().outer('conv-outer')).to.equal('inner reply');
      const inner = tracing().one('invoke_agent inner');
      const outer = tracing().one('invoke_agent outer');
      expect(inner.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.equal('conv-outer');
      expect(inner.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_NAME]).to.equal('inner turn');
      expect(inner.parentSpanContext?.spanId).to.equal(outer.spanContext().spanId);
    });

    it('still runs and tracks the turn when an option function throws', () => {
      expect(new Chat().brokenOption('still works')).to.equal('still works');
      const turn = tracing().one('invoke_agent brokenOption');
      expect(turn.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.match(/^conv_/);
      expect(tracing().one('agentsight.human_message').attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]).to.equal(
        'still works',
      );
    });

    it('never mixes the conversations of 50 interleaved concurrent turns', async () => {
      const chat = new Chat();
      const ids = Array.from({ length: 50 }, (_, i) => `conv-${i}`);
      const replies = await Promise.all(
        ids.map((id, i) => chat.interleaved(id, `message ${i}`, [(i * 7) % 5, (i * 3) % 4, 1])),
      );
      expect(replies).to.deep.equal(ids.map((id) => `${id} done`));
      const spans = tracing().spans();
      const turns = spans.filter((s) => s.name === 'invoke_agent interleaved');
      expect(turns).to.have.length(50);
      const turnOf = new Map(turns.map((t) => [t.spanContext().spanId, t]));
      const actions = spans.filter((s) => s.name === 'execute_tool fetchLater');
      expect(actions).to.have.length(150);
      for (const action of actions) {
        const turn = turnOf.get(action.parentSpanContext?.spanId ?? '');
        expect(turn, 'each action is a child of a turn').to.not.equal(undefined);
        const id = turn?.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID];
        expect(action.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.equal(id);
        expect(String(action.attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).split(':')[0]).to.equal(id);
      }
      for (const message of spans.filter((s) => s.name === 'agentsight.human_message')) {
        const turn = turnOf.get(message.parentSpanContext?.spanId ?? '');
        const index = Number(String(turn?.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).slice(5));
        expect(message.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]).to.equal(`message ${index}`);
      }
    });

    it('rejects an unknown device where the option is written', () => {
      expect(() => TrackConversation({ device: 'phone' as never })).to.throw(
        TypeError,
        /device must be one of desktop, mobile, tablet \(got "phone"\)/,
      );
      expect(() => TrackConversation({ environment: 'prod' as never })).to.throw(
        TypeError,
        /environment must be one of/,
      );
      expect(() => TrackConversation({ maxValueLength: 3 })).to.throw(TypeError, /maxValueLength must be an integer/);
    });

    it('leaves the active context as it was after the call', async () => {
      const before = context.active();
      await new Chat().reply({ message: 'x' });
      expect(context.active()).to.equal(before);
      expect(trace.getActiveSpan()).to.equal(undefined);
    });
  });
});
