import { type Bridge, startBridge } from 'agentsight-otel/bridge';
import { expect } from 'chai';
import { freePorts, runNode, runProgram, useCollectorRun } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

const TOKEN = 'collector-bridge-token-0123456789';
const CONVERSATIONS = 3;
const TURNS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What each conversation must look like at AgentSight: every turn once, in order. */
function expectedStory(conversationId: string, answer: (turn: number) => string): string[] {
  const story = ['conversation'];
  for (let turn = 1; turn <= TURNS; turn += 1) {
    story.push(`end_user: ${conversationId} question ${turn}`, 'action lookup', `agent: ${answer(turn)}`);
  }
  return story;
}

describe('Node and Python apps → a real OpenTelemetry Collector → the bridge → AgentSight', function () {
  this.timeout(300_000);
  // The contract's API names no idempotency: the receiver stores every request, so a duplicate shows.
  const receiver = useReceiver({ apiKey: TEST_API_KEY, ignoreIdempotencyKey: true });
  const { tools, startCollector: launchCollector, track, queueFolder } = useCollectorRun(TOKEN);
  let bridge: Bridge | undefined;

  after(async () => {
    await bridge?.close();
  });

  it('loses nothing and stores nothing twice through a 20 s bridge outage, a Collector restart and 8 s without AgentSight, in order', async () => {
    const [bridgePort, otlpPort] = (await freePorts(2)) as [number, number];
    const storage = queueFolder('collector');
    const bridgeOptions = {
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      token: TOKEN,
      port: bridgePort,
    };
    const startCollector = () => launchCollector({ bridgePort, otlpPort, storage });

    let collector = await startCollector();
    bridge = await startBridge(bridgeOptions);
    const appEnv = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    };
    const rhythm = [String(CONVERSATIONS), String(TURNS), '300', '8000'];
    const nodeApp = runNode('build/test/fixtures/collector-node-app.js', rhythm, appEnv);
    const pythonApp = runProgram(
      tools().python,
      [
        'test/fixtures/python/collector_app.py',
        '--conversations',
        rhythm[0] as string,
        '--turns',
        rhythm[1] as string,
        '--interval-ms',
        rhythm[2] as string,
        '--pause-ms',
        rhythm[3] as string,
      ],
      appEnv,
    );
    track(nodeApp, pythonApp);

    // The bridge goes away for 20 s while the apps are sending.
    await sleep(1_000);
    await bridge.close();
    const bridgeDownAt = Date.now();
    // While the apps pause (everything so far flushed to the Collector, and waiting in its
    // persistent queue since the bridge is down), the Collector restarts.
    await Promise.all([nodeApp.waitFor(/paused/, 60_000), pythonApp.waitFor(/paused/, 60_000)]);
    await sleep(1_000);
    expect(await collector.stop(), collector.output()).to.equal(0);
    collector = await startCollector();
    expect(await nodeApp.exited(), nodeApp.output()).to.equal(0);
    expect(await pythonApp.exited(), pythonApp.output()).to.equal(0);
    // AgentSight itself goes away before the bridge comes back, for 8 s: the bridge must answer
    // 503 with Retry-After, and the Collector keep the batches and retry.
    await sleep(Math.max(0, bridgeDownAt + 14_000 - Date.now()));
    await receiver().stopListening();
    await sleep(Math.max(0, bridgeDownAt + 20_000 - Date.now()));
    const storedDuringOutage = receiver().store.records.length;
    const bridgeBackAt = new Date().toISOString();
    bridge = await startBridge(bridgeOptions);
    await sleep(8_000);
    await receiver().listenAgain();

    const conversations = [
      ...Array.from({ length: CONVERSATIONS }, (_, i) => `node-${i + 1}`),
      ...Array.from({ length: CONVERSATIONS }, (_, i) => `py-${i + 1}`),
    ];
    const expected = new Map(
      conversations.map((id) => [
        id,
        expectedStory(id, (turn) =>
          id.startsWith('node') ? `${id} answer ${turn} (fact ${turn})` : `${id} answer ${turn}`,
        ),
      ]),
    );
    const total = [...expected.values()].reduce((n, story) => n + story.length, 0);
    const deadline = Date.now() + 120_000;
    while (receiver().store.records.length < total && Date.now() < deadline) await sleep(250);
    await sleep(2_000); // anything stored twice would arrive now
    // In the order AgentSight shows a conversation: by timestamp. (Arrival can differ across a
    // Collector restart: its persistent queue puts the batch that was in flight back at its end.)
    const byTime = (id: string) =>
      [...receiver().store.recordsOf(id)].sort(
        (a, b) => Date.parse(String(a.body.timestamp)) - Date.parse(String(b.body.timestamp)) || a.seq - b.seq,
      );
    const story = (id: string) =>
      byTime(id).map((r) =>
        r.kind === 'message'
          ? `${r.body.sender}: ${r.body.content}`
          : r.kind === 'action'
            ? `action ${r.body.action_name}`
            : r.kind,
      );
    for (const [id, want] of expected) expect(story(id), id).to.deep.equal(want);
    const arrivedLate = conversations.filter((id) =>
      receiver()
        .store.recordsOf(id)
        .some((r, i) => r !== byTime(id)[i]),
    );
    // The outage was real: most records came after it, among them turns sent before the
    // Collector restarted, which waited in its persistent queue across the restart.
    expect(storedDuringOutage).to.be.below(total / 2);
    const crossedRestart = receiver().store.records.filter(
      (r) => r.receivedAt > bridgeBackAt && / question [1-4]$/.test(String(r.body.content ?? '')),
    );
    expect(crossedRestart.length, 'turns queued before the Collector restart').to.be.greaterThan(0);
    expect(receiver().store.records.length, 'nothing stored twice, nothing else').to.equal(total);
    const stats = bridge.stats();
    expect(
      Object.values(stats.dropped).reduce((a, b) => a + b, 0),
      'the bridge lost nothing',
    ).to.equal(0);
    expect(stats.requests.retryLater, 'the bridge told the Collector to come back later').to.be.greaterThan(0);
    console.log(
      `    ${total} records in ${conversations.length} conversations; ${storedDuringOutage} arrived before the bridge came back, ${crossedRestart.length} of the first turns crossed the Collector restart on disk; ${stats.requests.retryLater} answers of 503 while AgentSight was down; ${arrivedLate.length} conversation(s) arrived out of order and read in order by timestamp`,
    );
  });

  it('over OTLP/gRPC too: the Collector waits out UNAVAILABLE with RetryInfo while AgentSight is away', async () => {
    const [bridgePort, otlpPort, grpcPort] = (await freePorts(3)) as [number, number, number];
    const grpcStorage = queueFolder('collector-grpc');
    const grpcBridge = await startBridge({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      token: TOKEN,
      port: bridgePort,
      grpcPort,
    });
    try {
      const collector = await launchCollector({ bridgePort, otlpPort, storage: grpcStorage, grpcPort });
      await receiver().stopListening();
      const app = runNode('build/test/fixtures/collector-node-app.js', ['2', '4', '200', '0'], {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      });
      track(app);
      expect(await app.exited(), app.output()).to.equal(0);
      await sleep(6_000);
      await receiver().listenAgain();
      const expected = ['node-1', 'node-2'].map((id) =>
        expectedStory(id, (turn) => `${id} answer ${turn} (fact ${turn})`).slice(0, 1 + 3 * 4),
      );
      const total = expected.reduce((n, story) => n + story.length, 0);
      const deadline = Date.now() + 60_000;
      while (receiver().store.records.length < total && Date.now() < deadline) await sleep(250);
      await sleep(1_000);
      expect(receiver().store.records.length, 'all, once').to.equal(total);
      expect(grpcBridge.stats().requests.retryLater, 'UNAVAILABLE answers').to.be.greaterThan(0);
      expect(grpcBridge.stats().requests.accepted).to.be.greaterThan(0);
      expect(await collector.stop()).to.equal(0);
    } finally {
      await grpcBridge.close();
    }
  });
});
