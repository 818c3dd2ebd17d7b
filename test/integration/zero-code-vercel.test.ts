import type { NodeSDK } from '@opentelemetry/sdk-node';
import { AgentSightSpanProcessor } from 'agentsight-otel';
import { expect } from 'chai';
import { type OpenAiDouble, startOpenAiDouble } from '../helpers/openai-double';
import { TEST_API_KEY, transcriptOf, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

/*
 * Zero code with the real Vercel AI SDK 7 (`ai`, `@ai-sdk/openai`, `@ai-sdk/otel`), pointed at a
 * loopback OpenAI double: an app that calls `generateText` and `streamText` with a tool and a
 * growing history, with no AgentSight code but our processor in its OpenTelemetry set-up. `ai` 7
 * needs Node 22 or later: on Node 20 this suite is skipped (CI runs it in its Node 24 pass).
 */

type Ai = typeof import('ai');
type ModelMessage = import('ai').ModelMessage;

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

describe('zero code: the Vercel AI SDK 7 through AgentSightSpanProcessor', function () {
  this.timeout(30_000);
  const receiver = useReceiver();
  let sdk: NodeSDK | undefined;
  let processor: AgentSightSpanProcessor;
  let double: OpenAiDouble;
  let ai: Ai;
  let model: Parameters<Ai['generateText']>[0]['model'];
  let OpenTelemetry: typeof import('@ai-sdk/otel').OpenTelemetry;

  before(async function () {
    if (NODE_MAJOR < 22) this.skip(); // ai 7 requires Node 22+ (its engines field)
    ai = await import('ai');
    const { createOpenAI } = await import('@ai-sdk/openai');
    OpenTelemetry = (await import('@ai-sdk/otel')).OpenTelemetry;
    double = await startOpenAiDouble();
    model = createOpenAI({ baseURL: double.baseURL, apiKey: 'test-key' }).chat('gpt-test');
  });

  beforeEach(() => {
    processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: receiver().url, deliveryThread: false });
    sdk = startSdk({ spanProcessors: [processor] });
    // As the SDK's docs say, after the OpenTelemetry set-up (its tracer is taken when registered).
    ai.registerTelemetry(new OpenTelemetry({ runtimeContext: true }));
  });
  afterEach(async () => stopSdk(sdk));
  after(async () => double?.close());

  /** The app's own code: a chat turn with a calculator tool, the history kept by the app. */
  async function turn(conversationId: string, history: ModelMessage[], question: string, stream: boolean) {
    const calculator = ai.tool({
      description: 'Evaluates an arithmetic expression',
      inputSchema: ai.jsonSchema<{ expression: string }>({
        type: 'object',
        properties: { expression: { type: 'string' } },
        required: ['expression'],
      }),
      execute: async ({ expression }) => String(Function(`return (${expression})`)()),
    });
    const messages: ModelMessage[] = [...history, { role: 'user', content: question }];
    const options = {
      model,
      messages,
      tools: { calculator },
      stopWhen: ai.stepCountIs(3),
      runtimeContext: { conversationId, userId: 'customer-1' },
      telemetry: { isEnabled: true, functionId: 'chat', includeRuntimeContext: { conversationId: true, userId: true } },
    };
    if (stream) {
      const result = ai.streamText(options);
      let text = '';
      for await (const delta of result.textStream) text += delta;
      return { text, messages: [...messages, ...(await result.response).messages] };
    }
    const result = await ai.generateText(options);
    return { text: result.text, messages: [...messages, ...result.response.messages] };
  }

  /** What the receiver stored for a conversation, as lines. */
  function transcript(conversationId: string): string[] {
    return transcriptOf(receiver(), conversationId);
  }

  it('delivers generateText and streamText turns with a growing history: each message and tool call once, in order, tokens per turn', async () => {
    let history: ModelMessage[] = [];
    const answers: string[] = [];
    for (const [question, stream] of [
      ['calculate 6*7', false],
      ['Thanks! Who are you?', false],
      ['calculate 2+3', true],
      ['Bye', true],
    ] as const) {
      const { text, messages } = await turn('conv-vercel-1', history, question, stream);
      answers.push(text);
      history = messages;
    }
    await processor.forceFlush();
    expect(answers).to.deep.equal([
      'The result is 42.',
      'You said: Thanks! Who are you?.',
      'The result is 5.',
      'You said: Bye.',
    ]);
    // Each call reports 20/5; a tool turn makes two calls. The agent's own totals are not added.
    expect(transcript('conv-vercel-1')).to.deep.equal([
      'end_user: calculate 6*7',
      'action calculator → 42',
      'agent: The result is 42.',
      'tokens 40/10',
      'end_user: Thanks! Who are you?',
      'agent: You said: Thanks! Who are you?.',
      'tokens 20/5',
      'end_user: calculate 2+3',
      'action calculator → 5',
      'agent: The result is 5.',
      'tokens 40/10',
      'end_user: Bye',
      'agent: You said: Bye.',
      'tokens 20/5',
    ]);
    const record = receiver()
      .store.recordsOf('conv-vercel-1')
      .find((r) => r.kind === 'conversation');
    expect((record?.body as Record<string, unknown> | undefined)?.customer_id).to.equal('customer-1');
    expect(processor.stats().dropped.no_conversation).to.equal(0);
  });

  it('a decorated turn returning streamText(...).toUIMessageStreamResponse(): the answer recorded as the text the user saw, once', async () => {
    const { trackConversation } = await import('agentsight-otel');
    const response = await trackConversation(
      { conversationId: 'conv-vercel-ui', humanMessage: 'Stream to me' },
      async () =>
        ai
          .streamText({ model, prompt: 'Stream to me', telemetry: { isEnabled: true, functionId: 'chat' } })
          .toUIMessageStreamResponse(),
    );
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).to.equal('v1');
    const body = await response.text();
    expect(body).to.contain('"type":"text-delta"');
    await processor.forceFlush();
    // The decorated turn speaks for itself: its message, the call's tokens (its span ended first),
    // then the answer once the user had read it all; no zero-code item twice.
    expect(transcript('conv-vercel-ui')).to.deep.equal([
      'end_user: Stream to me',
      'tokens 20/5',
      'agent: You said: Stream to me.',
    ]);
  });

  it('keeps two conversations apart, and counts once per trace a turn that names none', async () => {
    await turn('conv-vercel-a', [], 'Hello A', false);
    await turn('conv-vercel-b', [], 'Hello B', false);
    const anonymous = ai.generateText({
      model,
      prompt: 'Nobody asked',
      telemetry: { isEnabled: true, functionId: 'chat' },
    });
    await anonymous;
    await processor.forceFlush().catch(() => undefined); // rejects: the unnamed turn is a counted loss
    expect(transcript('conv-vercel-a')).to.deep.equal([
      'end_user: Hello A',
      'agent: You said: Hello A.',
      'tokens 20/5',
    ]);
    expect(transcript('conv-vercel-b')).to.deep.equal([
      'end_user: Hello B',
      'agent: You said: Hello B.',
      'tokens 20/5',
    ]);
    expect(processor.stats().dropped.no_conversation).to.equal(1);
    expect(receiver().store.conversations.map((c) => c.conversationId)).to.have.members([
      'conv-vercel-a',
      'conv-vercel-b',
    ]);
  });
});
