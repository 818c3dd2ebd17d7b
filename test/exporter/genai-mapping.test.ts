import { type Attributes, context, trace } from '@opentelemetry/api';
import { trackConversation, trackHumanMessage } from 'agentsight-otel';
import { expect } from 'chai';
import { GenAiHistory } from '#internal/mapping/genai/genai-history';
import { type MappingOptions, toConversationPlans } from '#internal/mapping/mapping';
import type { ActionPayload, MessagePayload, PlannedItem } from '#internal/mapping/payloads';
import { exposedGc } from '../helpers/gc';
import { useTracing } from '../helpers/tracing';

/*
 * Zero code: GenAI telemetry that no decorator made, mapped to conversations. The spans are made
 * with the real SDK in the shapes `../shared/genai-notes.md` measured for each instrumentation
 * (the tests with the instrumentations themselves are in test/integration/zero-code*.test.ts).
 */

type Message = { role: string; parts: Record<string, unknown>[]; finish_reason?: string };
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', content: text }] });
const assistant = (text: string): Message => ({ role: 'assistant', parts: [{ type: 'text', content: text }] });
const answer = (text: string): Message => ({ ...assistant(text), finish_reason: 'stop' });
const callsTool = (id: string, name: string, args: object): Message => ({
  role: 'assistant',
  parts: [{ type: 'tool_call', id, name, arguments: args }],
  finish_reason: 'tool_calls',
});
const toolResult = (id: string, result: unknown): Message => ({
  role: 'tool',
  parts: [{ type: 'tool_call_response', id, response: result }],
});

/** What a plan says, in order: `end_user: …`, `agent: …`, `action name → response`, `tokens p/c`. */
function lines(items: readonly PlannedItem[]): string[] {
  return items.map((item) => {
    if (item.kind === 'message') {
      const body = item.body as MessagePayload;
      return `${body.sender}: ${body.content}`;
    }
    const body = item.body as ActionPayload;
    if (item.kind === 'token_usage') return `tokens ${body.metadata.prompt_tokens}/${body.metadata.completion_tokens}`;
    return `action ${body.action_name} → ${body.response}`;
  });
}

describe('zero code: GenAI telemetry to conversations (pure mapping)', () => {
  const tracing = useTracing();
  const tracer = () => trace.getTracer('genai-test');
  const on = (history = new GenAiHistory()): MappingOptions => ({
    environment: 'development',
    maxFieldLength: 32_768,
    genAi: true,
    genAiHistory: history,
  });

  /** A span with these attributes, ended now, as a child of the active span. */
  function span(name: string, attributes: Attributes, inside?: () => void): void {
    const s = tracer().startSpan(name, { attributes });
    if (inside) context.with(trace.setSpan(context.active(), s), inside);
    s.end();
  }
  const json = (messages: Message[]) => JSON.stringify(messages);

  /** One turn as the Vercel AI SDK 7 reports it through @ai-sdk/otel: agent → chat, tool, chat. */
  function vercelTurn(conversationId: string, history: Message[], question: string, reply: string): Message[] {
    const asked = [...history, user(question)];
    const toolCall = callsTool(`call-${question}`, 'calculator', { expression: '6*7' });
    const withTool = [...asked, toolCall, toolResult(`call-${question}`, '42')];
    span(
      'invoke_agent gpt-test',
      {
        'gen_ai.operation.name': 'invoke_agent',
        'ai.settings.context.conversationId': conversationId,
        'ai.settings.context.userId': 'user-7',
        'gen_ai.usage.input_tokens': 300,
        'gen_ai.usage.output_tokens': 30,
      },
      () => {
        span('chat gpt-test', {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': json(asked),
          'gen_ai.output.messages': json([toolCall]),
          'gen_ai.usage.input_tokens': 100,
          'gen_ai.usage.output_tokens': 10,
        });
        span('execute_tool calculator', {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'calculator',
          'gen_ai.tool.call.id': `call-${question}`,
          'gen_ai.tool.call.arguments': '{"expression":"6*7"}',
          'gen_ai.tool.call.result': '42',
        });
        span('chat gpt-test', {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-test',
          'gen_ai.input.messages': json(withTool),
          'gen_ai.output.messages': json([answer(reply)]),
          'gen_ai.usage.input_tokens': 200,
          'gen_ai.usage.output_tokens': 20,
        });
      },
    );
    return [...withTool, assistant(reply)];
  }

  it('maps Vercel AI SDK turns: each message once and in order across a growing history, the tool once, tokens not twice', () => {
    const history = new GenAiHistory();
    const first = vercelTurn('conv-vercel', [], 'What is 6*7?', 'It is 42.');
    const firstPlans = toConversationPlans(tracing().spans(), on(history)).plans;
    tracing().exporter.reset();
    vercelTurn('conv-vercel', first, 'And doubled?', 'It is 84.');
    const secondPlans = toConversationPlans(tracing().spans(), on(history)).plans;

    expect(firstPlans.map((p) => p.conversationId)).to.deep.equal(['conv-vercel']);
    expect(lines(firstPlans[0]?.items ?? [])).to.deep.equal([
      'end_user: What is 6*7?',
      'action calculator → 42',
      'agent: It is 42.',
      // 100 + 200 from the calls; the agent span's own 300/30 states them again and is not added.
      'tokens 300/30',
    ]);
    expect(lines(secondPlans[0]?.items ?? [])).to.deep.equal([
      'end_user: And doubled?',
      'action calculator → 42',
      'agent: It is 84.',
      'tokens 300/30',
    ]);
    expect(firstPlans[0]?.record.customer_id).to.equal('user-7');
    const reply = firstPlans[0]?.items.find(
      (i) => i.kind === 'message' && (i.body as MessagePayload).sender === 'agent',
    );
    expect((reply?.body as MessagePayload | undefined)?.metadata).to.deep.equal({ model: 'gpt-test' });
    const tool = firstPlans[0]?.items.find((i) => i.kind === 'action' && i.label.includes('calculator'));
    expect((tool?.body as ActionPayload | undefined)?.metadata).to.deep.include({
      arguments: { expression: '6*7' },
      tool_call_id: 'call-What is 6*7?',
    });
  });

  it('maps the same messages read again from another export, process or restart to the same keys', () => {
    vercelTurn('conv-keys', [], 'Hello?', 'Hi.');
    const spans = tracing().spans();
    const keysA = toConversationPlans(spans, on(new GenAiHistory())).plans[0]?.items.map((i) => i.idempotencyKey);
    const keysB = toConversationPlans(spans, on(new GenAiHistory())).plans[0]?.items.map((i) => i.idempotencyKey);
    expect(keysA).to.have.length(4);
    expect(keysB).to.deep.equal(keysA);
    // With the same memory, the second reading gives nothing new: no record goes alone either.
    const history = new GenAiHistory();
    toConversationPlans(spans, on(history));
    const again = toConversationPlans(spans, on(history)).plans[0]?.items.map((i) => i.kind);
    expect(again).to.deep.equal(['token_usage']);
  });

  it('maps Python openai-v2 spans: the conversation on the app’s parent span, the tool from the messages’ parts', () => {
    span('handle turn', { 'gen_ai.conversation.id': 'conv-py' }, () => {
      span('chat gpt-test', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': json([
          { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
          user('Weather in Oslo?'),
        ]),
        'gen_ai.output.messages': json([callsTool('c1', 'weather', { city: 'Oslo' })]),
        'gen_ai.usage.input_tokens': 20,
        'gen_ai.usage.output_tokens': 5,
      });
      span('chat gpt-test', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': json([
          { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
          user('Weather in Oslo?'),
          callsTool('c1', 'weather', { city: 'Oslo' }),
          toolResult('c1', { celsius: 4 }),
        ]),
        'gen_ai.output.messages': json([answer('4 °C.')]),
        'gen_ai.usage.input_tokens': 40,
        'gen_ai.usage.output_tokens': 6,
      });
    });
    const plans = toConversationPlans(tracing().spans(), on()).plans;
    expect(plans.map((p) => p.conversationId)).to.deep.equal(['conv-py']);
    expect(lines(plans[0]?.items ?? [])).to.deep.equal([
      'end_user: Weather in Oslo?',
      'action weather → {"celsius":4}',
      'agent: 4 °C.',
      'tokens 60/11',
    ]);
  });

  it('reads the older flat forms: OpenLLMetry’s gen_ai.prompt.N / completion.N, OpenInference’s llm.*_messages.N', () => {
    span('openai.chat', {
      'gen_ai.operation.name': 'chat',
      'traceloop.association.properties.session_id': 'conv-flat',
      'gen_ai.prompt.0.role': 'user',
      'gen_ai.prompt.0.content': 'Ping?',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': 'Pong.',
      'gen_ai.completion.0.finish_reason': 'stop',
    });
    span('ChatCompletion', {
      'session.id': 'conv-oi',
      'llm.input_messages.0.message.role': 'user',
      'llm.input_messages.0.message.content': 'Marco?',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.content': 'Polo.',
    });
    const plans = toConversationPlans(tracing().spans(), on()).plans;
    expect(plans.map((p) => [p.conversationId, lines(p.items)])).to.deep.equal([
      ['conv-flat', ['end_user: Ping?', 'agent: Pong.']],
      ['conv-oi', ['end_user: Marco?', 'agent: Polo.']],
    ]);
  });

  it('gives a decorated turn with an instrumented call inside exactly the items it gives without zero code', () => {
    trackConversation({ conversationId: 'conv-decorated' }, () => {
      trackHumanMessage('What is 6*7?');
      span('chat gpt-test', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.conversation.id': 'conv-decorated',
        'gen_ai.input.messages': json([user('What is 6*7?')]),
        'gen_ai.output.messages': json([answer('42')]),
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 2,
      });
    });
    const spans = tracing().spans();
    // As AgentSightSpanProcessor hands them over: the turn's conversation stamped on every span.
    const stamped = spans.map(
      (s) =>
        ({
          ...s,
          spanContext: () => s.spanContext(),
          attributes: { 'agentsight.conversation.id': 'conv-decorated', ...s.attributes },
        }) as typeof s,
    );
    const today = toConversationPlans(stamped, { environment: 'development', maxFieldLength: 32_768 }).plans;
    expect(lines(toConversationPlans(stamped, on()).plans.flatMap((p) => p.items))).to.deep.equal(
      lines(today.flatMap((p) => p.items)),
    );
    expect(lines(today.flatMap((p) => p.items))).to.deep.equal(['end_user: What is 6*7?', 'tokens 10/2']);
    // As an exporter alone sees them (no stamping): the call joins its decorated ancestor's turn.
    expect(lines(toConversationPlans(spans, on()).plans.flatMap((p) => p.items))).to.deep.equal([
      'end_user: What is 6*7?',
      'tokens 10/2',
    ]);
  });

  it('sends nothing for GenAI telemetry that names no conversation, and nothing when zero code is off', () => {
    span('chat gpt-test', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.input.messages': json([user('Anyone?')]),
      'gen_ai.output.messages': json([answer('Yes.')]),
    });
    const unnamed = toConversationPlans(tracing().spans(), on());
    expect(unnamed.plans).to.deep.equal([]);
    // Said, not guessed: the caller counts this trace once as no_conversation.
    expect(unnamed.unnamedGenAiTraces).to.deep.equal([tracing().spans()[0]?.spanContext().traceId]);
    tracing().exporter.reset();
    vercelTurn('conv-off', [], 'Q', 'A');
    expect(
      toConversationPlans(tracing().spans(), { environment: 'development', maxFieldLength: 32_768 }).plans,
    ).to.deep.equal([]);
  });

  it('reports a span whose messages are over 8 MiB instead of reading them, and maps the rest', () => {
    span('chat big', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.conversation.id': 'conv-big',
      'gen_ai.input.messages': `[${'"x",'.repeat(2_200_000)}"x"]`,
    });
    span('chat small', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.conversation.id': 'conv-big',
      'gen_ai.input.messages': json([user('small')]),
    });
    const { plans, dropped } = toConversationPlans(tracing().spans(), on());
    expect(dropped.map((d) => d.spanName)).to.deep.equal(['chat big']);
    expect(dropped[0]?.reason).to.match(/over 8388608 characters/);
    expect(lines(plans[0]?.items ?? [])).to.deep.equal(['end_user: small']);
  });

  it('reads the last messages of a 20 MB history and the small answer beside it (issue 30: both were lost, the span unreadable)', () => {
    const history: Message[] = [];
    for (let n = 0; history.length < 16_000; n++)
      history.push(user(`old ${n} ${'h'.repeat(2_500)}`), assistant(`reply ${n}`));
    const input = json([...history, user('the question, {"looks": "like json"}, at the end')]);
    expect(input.length).to.be.greaterThan(8 * 1024 * 1024);
    const started = process.hrtime.bigint();
    span('chat huge', {
      'gen_ai.operation.name': 'chat',
      'gen_ai.conversation.id': 'conv-huge',
      'gen_ai.input.messages': input,
      'gen_ai.output.messages': json([answer('the answer')]),
    });
    const { plans, dropped } = toConversationPlans(tracing().spans(), on());
    const millis = Number(process.hrtime.bigint() - started) / 1e6;
    expect(dropped).to.deep.equal([]);
    expect(lines(plans[0]?.items ?? [])).to.deep.equal([
      'end_user: the question, {"looks": "like json"}, at the end',
      'agent: the answer',
    ]);
    expect(millis, 'only its tail parsed (a safety limit)').to.be.below(1_000);
  });

  it('puts what other instrumentations recorded through the application’s mask: messages, tool arguments and results', () => {
    const mask = (text: string) => text.replace(/[\w.]+@[\w.]+/g, '[email]');
    span('handle turn', { 'gen_ai.conversation.id': 'conv-mask' }, () => {
      span('chat gpt-test', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': json([user('Mail jane@example.com please')]),
        'gen_ai.output.messages': json([callsTool('m1', 'send_mail', { to: 'jane@example.com' })]),
      });
      span('chat gpt-test', {
        'gen_ai.operation.name': 'chat',
        'gen_ai.input.messages': json([
          user('Mail jane@example.com please'),
          callsTool('m1', 'send_mail', { to: 'jane@example.com' }),
          toolResult('m1', 'sent to jane@example.com'),
        ]),
        'gen_ai.output.messages': json([answer('Done, jane@example.com has it.')]),
      });
    });
    const plans = toConversationPlans(tracing().spans(), { ...on(), genAiMask: mask }).plans;
    const items = plans[0]?.items ?? [];
    expect(lines(items)).to.deep.equal([
      'end_user: Mail [email] please',
      'action send_mail → sent to [email]',
      'agent: Done, [email] has it.',
    ]);
    const action = items.find((i) => i.kind === 'action')?.body as ActionPayload | undefined;
    expect(action?.metadata.arguments).to.equal('{"to":"[email]"}');
  });

  it('keeps every message of a chat memory with a sliding window (system + last 12) once: no repeat of a position is taken for an old message', () => {
    // Issue 30: the key was (conversation, position, content), and a full window puts every new
    // question at the same position: 1 of 14 "yes" and 2 of 20 "Done." reached.
    const history = new GenAiHistory();
    const system: Message = { role: 'system', parts: [{ type: 'text', content: 'You are terse.' }] };
    let kept: Message[] = [];
    const expected: string[] = [];
    const got: string[] = [];
    for (let turn = 0; turn < 100; turn++) {
      const question = turn % 3 === 1 ? 'yes' : turn % 7 === 0 ? 'and then?' : `question ${turn}`;
      const reply = turn % 2 === 0 ? 'Done.' : `answer ${turn}`;
      const input = [system, ...kept.slice(-12), user(question)];
      // Two spans of one call (as the Vercel AI SDK nests them): read twice, kept once.
      for (const name of ['chat outer', 'chat inner'])
        span(name, {
          'gen_ai.operation.name': 'chat',
          'gen_ai.conversation.id': 'conv-window',
          'gen_ai.input.messages': json(input),
          'gen_ai.output.messages': json([answer(reply)]),
        });
      expected.push(`end_user: ${question}`, `agent: ${reply}`);
      got.push(...toConversationPlans(tracing().spans(), on(history)).plans.flatMap((p) => lines(p.items)));
      tracing().exporter.reset();
      kept = [...kept, user(question), assistant(reply)];
    }
    expect(got).to.deep.equal(expected);
  });

  it('holds the history memory within its byte budget, as the heap measures it, and counts what it forgets', function () {
    this.timeout(60_000);
    const gc = exposedGc();
    gc();
    const before = process.memoryUsage().heapUsed;
    const memory = new GenAiHistory();
    // Keys as the mapping builds them; conversations of 600 keys (over the ring's cap) and short ones.
    for (let c = 0; c < 12_000; c++) {
      const id = `conv-${c.toString(36)}-${'x'.repeat(20)}`;
      const keys = c % 4 === 0 ? 600 : 6;
      for (let k = 0; k < keys; k++)
        memory.firstTime(id, `genai-user-${(c * 7919 + k).toString(16).padStart(32, '0')}`);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(memory.heldBytes, 'at its cap').to.be.within(memory.maxBytes * 0.9, memory.maxBytes);
    expect(memory.evicted, 'conversations forgotten for room are counted').to.be.greaterThan(0);
    expect(grown, 'the heap it holds (budget 64 MB by default)').to.be.below(64 * 1024 * 1024);
    expect(grown, 'its count is near what it truly holds').to.be.below(memory.heldBytes * 2);
    expect(
      memory.firstTime(`conv-${(11_999).toString(36)}-${'x'.repeat(20)}`, 'genai-user-new'),
      'a recent one still works',
    ).to.equal(true);
  });
});
