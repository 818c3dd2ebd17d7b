import { trace } from '@opentelemetry/api';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { AgentSightLogRecordProcessor, AgentSightSpanProcessor } from 'agentsight-otel';
import { expect } from 'chai';
import type OpenAI from 'openai';
import { type OpenAiDouble, startOpenAiDouble } from '../helpers/openai-double';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

/*
 * Zero code with the real `openai` client and `@opentelemetry/instrumentation-openai` (content
 * capture on), against a loopback OpenAI double. That instrumentation writes the messages only as
 * log records, so the app's OpenTelemetry set-up has our span processor and our log record
 * processor; the app itself only names the conversation on the span it makes around a turn
 * (`gen_ai.conversation.id`), as the GenAI conventions say.
 */
describe('zero code: openai + @opentelemetry/instrumentation-openai (messages as events)', function () {
  this.timeout(30_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let sdk: NodeSDK | undefined;
  let double: OpenAiDouble;

  before(async () => {
    double = await startOpenAiDouble();
  });
  after(() => double.close());
  afterEach(async () => stopSdk(sdk));

  const CALCULATOR = {
    type: 'function' as const,
    function: {
      name: 'calculator',
      parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    },
  };

  /** The app: a turn of a chat service that keeps the history and answers the calculator. */
  async function turn(
    client: OpenAI,
    conversationId: string,
    history: OpenAI.ChatCompletionMessageParam[],
    question: string,
    stream: boolean,
  ) {
    history.push({ role: 'user', content: question });
    return trace
      .getTracer('chat-service')
      .startActiveSpan('chat turn', { attributes: { 'gen_ai.conversation.id': conversationId } }, async (span) => {
        try {
          let reply = await client.chat.completions.create({
            model: 'gpt-test',
            messages: history,
            tools: [CALCULATOR],
          });
          let message = reply.choices[0]?.message;
          for (const call of message?.tool_calls ?? []) {
            if (call.type !== 'function') continue;
            history.push(message as OpenAI.ChatCompletionMessageParam);
            const { expression } = JSON.parse(call.function.arguments) as { expression: string };
            history.push({
              role: 'tool',
              tool_call_id: call.id,
              content: String(Function(`return (${expression})`)()),
            });
            if (stream) {
              const chunks = await client.chat.completions.create({
                model: 'gpt-test',
                messages: history,
                tools: [CALCULATOR],
                stream: true,
                stream_options: { include_usage: true },
              });
              let text = '';
              for await (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? '';
              message = { role: 'assistant', content: text, refusal: null };
            } else {
              reply = await client.chat.completions.create({
                model: 'gpt-test',
                messages: history,
                tools: [CALCULATOR],
              });
              message = reply.choices[0]?.message;
            }
          }
          history.push({ role: 'assistant', content: message?.content ?? '' });
          return message?.content;
        } finally {
          span.end();
        }
      });
  }

  it('delivers every message once, in order, with the tool call and tokens of each turn', async () => {
    const processor = new AgentSightSpanProcessor({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      deliveryThread: false,
    });
    sdk = startSdk({
      spanProcessors: [processor],
      logRecordProcessors: [new AgentSightLogRecordProcessor()],
      instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
    });
    // Loaded after the instrumentation is enabled, as in an app whose OTel set-up runs first.
    const { OpenAI: Client } = require('openai') as typeof import('openai');
    const client = new Client({ apiKey: 'sk-test', baseURL: double.baseURL });
    const history: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: 'Be brief.' }];
    const answers = [
      await turn(client, 'conv-openai-1', history, 'Hello', false),
      await turn(client, 'conv-openai-1', history, 'calculate 6*7', false),
      await turn(client, 'conv-openai-1', history, 'calculate 1+2', true),
    ];
    await processor.forceFlush();
    expect(answers).to.deep.equal(['You said: Hello.', 'The result is 42.', 'The result is 3.']);
    const story = receiver()
      .store.recordsOf('conv-openai-1')
      .filter((r) => r.kind !== 'conversation')
      .map((r) => {
        const b = r.body as Record<string, unknown>;
        if (r.kind === 'message') return `${b.sender}: ${b.content}`;
        if (b.action_name === 'token_usage') {
          const m = b.metadata as Record<string, number>;
          return `tokens ${m.prompt_tokens}/${m.completion_tokens}`;
        }
        return `action ${b.action_name} → ${b.response}`;
      });
    expect(story).to.deep.equal([
      'end_user: Hello',
      'agent: You said: Hello.',
      'tokens 20/5',
      'end_user: calculate 6*7',
      'action calculator → 42',
      'agent: The result is 42.',
      'tokens 40/10',
      'end_user: calculate 1+2',
      'action calculator → 3',
      'agent: The result is 3.',
      'tokens 40/10',
    ]);
  });
});
