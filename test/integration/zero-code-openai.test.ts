import { expect } from 'chai';
import { type OpenAiDouble, startOpenAiDouble } from '../helpers/openai-double';
import { runNode } from '../helpers/processes';
import { TEST_API_KEY, transcriptOf, useReceiver } from '../helpers/receiver';

/*
 * Zero code with the real `openai` client and `@opentelemetry/instrumentation-openai` (content
 * capture on), against a loopback OpenAI double, in an app of its own
 * (test/fixtures/zero-code-node-app.ts): that instrumentation writes the messages only as log
 * records, so the app's OpenTelemetry set-up has our span processor and our log record processor;
 * the app itself only names the conversation on the span it makes around a turn
 * (`gen_ai.conversation.id`), as the GenAI conventions say.
 */
describe('zero code: openai + @opentelemetry/instrumentation-openai (messages as events)', function () {
  this.timeout(60_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let double: OpenAiDouble;

  before(async () => {
    double = await startOpenAiDouble();
  });
  after(() => double.close());

  it('delivers every message once, in order, with the tool call and tokens of each turn, a streamed answer too', async () => {
    const app = runNode(
      'build/test/fixtures/zero-code-node-app.js',
      ['agentsight', double.baseURL, 'Hello', 'calculate 6*7', 'calculate 1+2'],
      {
        AGENTSIGHT_API_KEY: TEST_API_KEY,
        AGENTSIGHT_API_ENDPOINT: receiver().url,
        ZERO_CODE_STREAM: '1',
      },
    );
    expect(await app.exited(), app.output()).to.equal(0);
    for (const id of ['node-genai-1', 'node-genai-2']) {
      const story = transcriptOf(receiver(), id);
      expect(story, id).to.deep.equal([
        `end_user: [${id}] Hello`,
        `agent: You said: [${id}] Hello.`,
        'tokens 20/5',
        `end_user: [${id}] calculate 6*7`,
        'action calculator → 42',
        'agent: The result is 42.',
        'tokens 40/10',
        `end_user: [${id}] calculate 1+2`,
        'action calculator → 3',
        'agent: The result is 3.',
        'tokens 40/10',
      ]);
    }
  });
});
