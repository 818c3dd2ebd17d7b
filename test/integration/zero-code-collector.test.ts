import { type Bridge, startBridge } from 'agentsight-otel/bridge';
import { expect } from 'chai';
import { type OpenAiDouble, startOpenAiDouble } from '../helpers/openai-double';
import { freePorts, runNode, runProgram, useCollectorRun } from '../helpers/processes';
import { itemLine, TEST_API_KEY, useReceiver } from '../helpers/receiver';

const TOKEN = 'zero-code-collector-token-0123456789';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const QUESTIONS = ['Hello', 'calculate 6*7', 'Thanks']; // the history grows turn after turn

/** What each conversation must look like at AgentSight: its items by time, then its token counts by time. */
function expectedStory(id: string): string[] {
  return [
    `end_user: [${id}] Hello`,
    `agent: You said: [${id}] Hello.`,
    `end_user: [${id}] calculate 6*7`,
    'action calculator → 42',
    'agent: The result is 42.',
    `end_user: [${id}] Thanks`,
    `agent: You said: [${id}] Thanks.`,
    'tokens 20/5',
    'tokens 40/10',
    'tokens 20/5',
  ];
}

/*
 * Zero code through a real OpenTelemetry Collector (collector/config.yaml: traces and logs) to the
 * bridge and the receiver, from apps with no AgentSight code at all: Python `openai` +
 * `opentelemetry-instrumentation-openai-v2` (messages on spans), and Node `openai` +
 * `@opentelemetry/instrumentation-openai` (messages only as log records, which the bridge joins to
 * their spans whichever comes first). The model is a loopback OpenAI double; each app names its
 * turns' conversation with `gen_ai.conversation.id` on its own span.
 */
describe('zero code through a real Collector and the bridge', function () {
  this.timeout(300_000);
  // The receiver stores every request (no idempotency): anything sent twice would show.
  const receiver = useReceiver({ apiKey: TEST_API_KEY, ignoreIdempotencyKey: true });
  // Its hooks run first: the apps and the Collector stop before the bridge and the double close.
  const { tools, startCollector, track, queueFolder } = useCollectorRun(TOKEN);
  let bridge: Bridge | undefined;
  let double: OpenAiDouble | undefined;

  afterEach(async () => {
    await bridge?.close();
    await double?.close();
  });

  /** The OpenAI double, the bridge and the Collector; returns the Collector's OTLP/HTTP endpoint. */
  async function pipeline(): Promise<string> {
    const [bridgePort, otlpPort] = (await freePorts(2)) as [number, number];
    const storage = queueFolder('zero-code');
    double = await startOpenAiDouble();
    bridge = await startBridge({ apiKey: TEST_API_KEY, endpoint: receiver().url, token: TOKEN, port: bridgePort });
    await startCollector({ bridgePort, otlpPort, storage });
    return `http://127.0.0.1:${otlpPort}`;
  }

  /**
   * A conversation as AgentSight shows it: by timestamp. (The Collector sends traces and logs in
   * separate requests in no set order, so a turn's token count can arrive before its messages.)
   * Token counts are compared apart, in their own order: a count and the answer it came with
   * share a timestamp.
   */
  const story = (id: string) => {
    const lines = [...receiver().store.recordsOf(id)]
      .filter((r) => r.kind !== 'conversation')
      .sort((a, b) => Date.parse(String(a.body.timestamp)) - Date.parse(String(b.body.timestamp)) || a.seq - b.seq)
      .map(itemLine);
    return [...lines.filter((l) => !l.startsWith('tokens')), ...lines.filter((l) => l.startsWith('tokens'))];
  };

  /** Waits for every record, then checks each conversation and that nothing came twice or was lost. */
  async function expectConversations(conversations: string[]): Promise<void> {
    const total = conversations.length * (expectedStory('x').length + 1);
    const deadline = Date.now() + 60_000;
    while (receiver().store.records.length < total && Date.now() < deadline) await sleep(250);
    await sleep(1_500); // anything sent twice would arrive now
    for (const id of conversations) expect(story(id), id).to.deep.equal(expectedStory(id));
    expect(receiver().store.records.length, 'nothing stored twice, nothing else').to.equal(total);
    const dropped = (bridge as Bridge).stats().dropped;
    expect(
      Object.values(dropped).reduce((a, b) => a + b, 0),
      JSON.stringify(dropped),
    ).to.equal(0);
  }

  it('Python openai-v2: every question, tool call and answer once, in order, with tokens per turn', async () => {
    const endpoint = await pipeline();
    const app = runProgram(
      tools().python,
      [
        'test/fixtures/python/genai_app.py',
        '--base-url',
        (double as OpenAiDouble).baseURL,
        '--conversations',
        '2',
        ...QUESTIONS,
      ],
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_SEMCONV_STABILITY_OPT_IN: 'gen_ai_latest_experimental',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'span_and_event',
      },
    );
    track(app);
    expect(await app.exited(), app.output()).to.equal(0);
    await expectConversations(['py-genai-1', 'py-genai-2']);
  });

  it('Node openai with its messages as log records: joined to their spans in the bridge, each item once', async () => {
    const endpoint = await pipeline();
    const app = runNode(
      'build/test/fixtures/zero-code-node-app.js',
      ['collector', (double as OpenAiDouble).baseURL, ...QUESTIONS],
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      },
    );
    track(app);
    expect(await app.exited(), app.output()).to.equal(0);
    await expectConversations(['node-genai-1', 'node-genai-2']);
  });
});
