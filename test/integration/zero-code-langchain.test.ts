import { trace } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { AgentSightSpanProcessor } from 'agentsight-otel';
import { expect } from 'chai';
import { type OpenAiDouble, startOpenAiDouble } from '../helpers/openai-double';
import { TEST_API_KEY, transcriptOf, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

/*
 * Zero code with LangChain.js (`@langchain/core`, `@langchain/openai`) traced by OpenInference's
 * LangChain instrumentation, against a loopback OpenAI double. LangChain.js rather than the
 * OpenAI Agents SDK: the Agents SDK traces to its own processors, not OpenTelemetry, so there is
 * no OTel telemetry of it to map without a third-party bridge, while OpenInference's LangChain
 * instrumentation is OpenTelemetry and is how LangChain apps reach Phoenix, Arize and Langfuse.
 * It writes the messages as numbered `llm.*_messages` attributes, the tool as its own span, and
 * names the conversation `session.id`. `@langchain/openai` needs Node 22 or later: on Node 20
 * this suite is skipped (CI runs it in its Node 24 pass).
 */

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

describe('zero code: LangChain.js traced by OpenInference', function () {
  this.timeout(30_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let sdk: NodeSDK | undefined;
  let double: OpenAiDouble;

  before(async function () {
    if (NODE_MAJOR < 22) this.skip(); // @langchain/openai 1.x requires Node 22+ (its engines field)
    double = await startOpenAiDouble();
  });
  after(async () => double?.close());
  afterEach(async () => stopSdk(sdk));

  it('delivers each question, tool call and answer once, in order, across a growing history', async () => {
    const processor = new AgentSightSpanProcessor({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      deliveryThread: false,
    });
    sdk = startSdk({ spanProcessors: [processor] });
    const { LangChainInstrumentation } = await import('@arizeai/openinference-instrumentation-langchain');
    const callbackManager = await import('@langchain/core/callbacks/manager');
    new LangChainInstrumentation().manuallyInstrument(callbackManager);
    const { ChatOpenAI } = await import('@langchain/openai');
    const { tool } = await import('@langchain/core/tools');
    const { HumanMessage, SystemMessage } = await import('@langchain/core/messages');
    type Message = InstanceType<typeof HumanMessage> | InstanceType<typeof SystemMessage>;

    const calculator = tool(
      async ({ expression }: { expression: string }) => String(Function(`return (${expression})`)()),
      {
        name: 'calculator',
        description: 'Evaluates an arithmetic expression',
        schema: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
      },
    );
    const model = new ChatOpenAI({
      model: 'gpt-test',
      apiKey: 'sk-test',
      configuration: { baseURL: double.baseURL },
    }).bindTools([calculator]);
    const history: Message[] = [new SystemMessage('Be brief.')];
    /** The app's turn: the conversation named on its own span, as OpenInference names it. */
    const turn = (question: string) =>
      trace
        .getTracer('chat-service')
        .startActiveSpan('chat turn', { attributes: { 'session.id': 'conv-lc-1' } }, async (span) => {
          try {
            history.push(new HumanMessage(question));
            let reply = await model.invoke(history);
            for (const call of reply.tool_calls ?? []) {
              history.push(reply as unknown as Message);
              // A tool call in, a ToolMessage out (the tool's types are wider than one call).
              const run = calculator as unknown as { invoke(input: unknown): Promise<Message> };
              history.push(await run.invoke(call));
              reply = await model.invoke(history);
            }
            history.push(reply as unknown as Message);
            return String(reply.content);
          } finally {
            span.end();
          }
        });
    const answers = [await turn('Hello'), await turn('calculate 6*7'), await turn('Thanks')];
    await processor.forceFlush();
    expect(answers).to.deep.equal(['You said: Hello.', 'The result is 42.', 'You said: Thanks.']);
    const story = transcriptOf(receiver(), 'conv-lc-1');
    expect(story).to.deep.equal([
      'end_user: Hello',
      'agent: You said: Hello.',
      'tokens 20/5',
      'end_user: calculate 6*7',
      'action calculator → 42',
      'agent: The result is 42.',
      'tokens 40/10',
      'end_user: Thanks',
      'agent: You said: Thanks.',
      'tokens 20/5',
    ]);
  });
});
