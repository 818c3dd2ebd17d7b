import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { trackConversation, trackHumanMessage } from 'agentsight-otel';
import { expect } from 'chai';
import { inThreadChannel } from '#internal/delivery/delivery-channel';
import { WorkerChannel, type WorkerCode } from '#internal/delivery/worker-channel';
import { toConversationPlans } from '#internal/mapping/mapping';
import { runNode, runProgram } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { useTracing } from '../helpers/tracing';

describe('delivery thread', () => {
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  const tracing = useTracing();

  const settings = () => ({
    endpoint: receiver().url,
    headers: { authorization: `Api-Key ${TEST_API_KEY}` },
    delivery: {
      requestTimeoutMillis: 2_000,
      maxRetries: 2,
      backoff: { initialDelayMillis: 10, maxDelayMillis: 50, multiplier: 1.5, jitter: 0.2 },
      concurrency: 4,
      initialConcurrency: 2,
      maxQueueBytes: 1024 * 1024,
      maxItemAgeMillis: 60_000,
      maxCachedConversations: 100,
    },
  });

  const plansFor = (conversationId: string) => {
    trackConversation({ conversationId }, () => trackHumanMessage(`hello from ${conversationId}`));
    return toConversationPlans(tracing().spans(), { environment: 'development', maxFieldLength: 1000 }).plans;
  };

  const noWarnings = (message: string) => {
    throw new Error(`unexpected warning: ${message}`);
  };

  it('delivers from a worker thread, and reports its counters back', async () => {
    const channel = new WorkerChannel(
      settings(),
      () => {
        throw new Error('no fallback expected');
      },
      noWarnings,
    );
    channel.enqueue(plansFor('in-worker'));
    await channel.flush(Date.now() + 10_000, false);
    const stats = channel.stats();
    await channel.close();
    expect(stats).to.deep.include({ delivered: 1, conversationsCreated: 1, queuedItems: 0, inFlight: 0 });
    expect(Object.values(stats.dropped).every((n) => n === 0)).to.equal(true);
    expect(
      receiver()
        .store.recordsOf('in-worker')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message']);
  });

  /** The nice value of each of this process's threads, by thread id (Linux). */
  const threadNiceValues = (): Map<number, number> =>
    new Map(
      readdirSync('/proc/self/task').map((tid) => {
        // Fields after "(comm) ": state is the first, nice the 17th (field 19 of proc(5)).
        const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
        return [Number(tid), Number(fields[16])];
      }),
    );

  it('runs below the application in the scheduler (Linux: nice +10 on the delivery thread alone)', async function () {
    if (process.platform !== 'linux') this.skip();
    const before = threadNiceValues();
    const application = getPriority();
    const channel = new WorkerChannel(
      settings(),
      () => {
        throw new Error('no fallback expected');
      },
      noWarnings,
    );
    try {
      channel.enqueue(plansFor('niced'));
      await channel.flush(Date.now() + 10_000, false);
      const lowered = [...threadNiceValues()].filter(([tid, nice]) => !before.has(tid) && nice !== application);
      expect(
        lowered.map(([, nice]) => nice),
        'one new thread, 10 steps below the application',
      ).to.deep.equal([Math.min(19, application + 10)]);
      expect(getPriority(), 'the application keeps its priority').to.equal(application);
      expect(receiver().store.recordsOf('niced')).to.have.length(2);
    } finally {
      await channel.close();
    }
  });

  it("leaves libuv's pool at the application's priority when delivery is the first to use it (Linux)", async function () {
    if (process.platform !== 'linux') this.skip();
    // A fresh process whose first pool user would be the delivery thread: a host name (not an
    // address) as the endpoint is resolved by dns.lookup, on the pool. Pool threads inherit the
    // nice value of the thread that creates them (issue 30: the app's pbkdf2 ran at nice +10).
    const channelPath = require.resolve('#internal/delivery/worker-channel');
    const threadSettings = { ...settings(), endpoint: receiver().url.replace('127.0.0.1', 'localhost') };
    const plans = plansFor('pool-priority');
    const script = `
      const { readdirSync, readFileSync } = require('node:fs');
      const { WorkerChannel } = require(${JSON.stringify(channelPath)});
      const channel = new WorkerChannel(${JSON.stringify(threadSettings)}, () => { throw new Error('no fallback'); },
        (m) => { throw new Error(m); });
      channel.enqueue(${JSON.stringify(plans)});
      channel.flush(Date.now() + 10000, false).then(async () => {
        // The application's own pool work after delivery began (crypto, fs, dns run there).
        await new Promise((done) => require('node:crypto').pbkdf2('p', 's', 1, 8, 'sha256', done));
        const nice = readdirSync('/proc/self/task').map((tid) => {
          const fields = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ');
          return Number(fields[16]);
        });
        console.log(JSON.stringify({ nice, stats: channel.stats() }));
        await channel.close();
      });`;
    const child = runProgram(process.execPath, ['-e', script]);
    const line = await child.waitFor(/^\{"nice".*$/m, 20_000);
    await child.exited();
    const { nice, stats } = JSON.parse(line[0]) as { nice: number[]; stats: { delivered: number } };
    const application = getPriority();
    expect(stats.delivered, 'delivered through the host name').to.equal(1);
    expect(
      nice.filter((n) => n !== application),
      "every thread but the delivery thread at the application's nice value",
    ).to.deep.equal([Math.min(19, application + 10)]);
    expect(receiver().store.recordsOf('pool-priority')).to.have.length(2);
  });

  it('never raises a thread it lowers above where it was, and never throws', async () => {
    // In a thread of its own: a nice value once raised cannot be lowered without privileges.
    const modulePath = require.resolve('#internal/delivery/thread-priority');
    const worker = new Worker(
      `const { lowerThisThreadsPriority } = require(${JSON.stringify(modulePath)});
       const { parentPort } = require('node:worker_threads');
       parentPort.postMessage([lowerThisThreadsPriority(15), lowerThisThreadsPriority(10), lowerThisThreadsPriority(10)]);`,
      { eval: true },
    );
    const results = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    // What each call should give from the application's level: lower, capped at 19, else nothing.
    let nice = getPriority();
    const expected = [15, 10, 10].map((steps) => {
      if (process.platform !== 'linux' || Math.min(19, nice + steps) <= nice) return undefined;
      nice = Math.min(19, nice + steps);
      return nice;
    });
    expect(results).to.deep.equal(expected);
  });

  /** A worker channel that falls back to the main thread, and a check that it warned once. */
  const withFallback = (code?: WorkerCode) => {
    const warnings: string[] = [];
    const channel = new WorkerChannel(
      settings(),
      () => inThreadChannel(settings()),
      (m) => warnings.push(m),
      code,
    );
    const warnedOnce = () =>
      expect(warnings.filter((w) => w.includes('delivery thread is unavailable'))).to.have.length(1);
    return { channel, warnedOnce };
  };

  it('falls back to the main thread, with a warning, when the worker cannot start', async () => {
    const { channel, warnedOnce } = withFallback({ source: 'throw new Error("this delivery thread cannot start")' });
    try {
      // Handed over before the thread has failed to start: the plans must not be lost with it.
      channel.enqueue(plansFor('fallback'));
      await new Promise((resolve) => setTimeout(resolve, 200));
      channel.enqueue(plansFor('fallback-2'));
      await channel.flush(Date.now() + 10_000, false);
      expect(channel.stats().dropped.delivery_thread_lost).to.equal(0);
    } finally {
      await channel.close();
    }
    expect(receiver().store.recordsOf('fallback')).to.have.length(2);
    expect(receiver().store.recordsOf('fallback-2')).to.have.length(2);
    warnedOnce();
  });

  it('counts what a dying delivery thread held as delivery_thread_lost, and delivers on from the main thread', async () => {
    const { channel, warnedOnce } = withFallback();
    try {
      receiver().setHanging(true); // the thread takes the items over and cannot deliver them
      channel.enqueue(plansFor('held-1'));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(channel.stats().queuedItems, 'the thread reported what it holds').to.equal(1);
      // The thread dies (as it would on a fatal error in it).
      await (channel as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await new Promise((resolve) => setTimeout(resolve, 100));
      receiver().setHanging(false);
      channel.enqueue(plansFor('after-1'));
      await channel.flush(Date.now() + 10_000, false);
      expect(channel.stats().dropped.delivery_thread_lost).to.equal(1);
    } finally {
      await channel.close();
    }
    warnedOnce();
    expect(
      receiver()
        .store.recordsOf('after-1')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message']);
  });

  it('logs through OTel diag at AGENTSIGHT_LOG_LEVEL when the app set no logger', async function () {
    this.timeout(20_000);
    const quiet = runNode('build/test/helpers/export-and-end.js', [receiver().url, TEST_API_KEY]);
    expect(await quiet.exited()).to.equal(0);
    expect(quiet.output()).not.to.contain('delivered');
    const verbose = runNode('build/test/helpers/export-and-end.js', [receiver().url, TEST_API_KEY], {
      AGENTSIGHT_LOG_LEVEL: 'debug',
    });
    expect(await verbose.exited()).to.equal(0);
    expect(verbose.output()).to.match(/delivered 1 AgentSight items and 1 conversation records so far \(0 retries\)/);
    expect(verbose.output()).not.to.contain(TEST_API_KEY);
  });

  it('keeps a process alive only while it delivers', async function () {
    this.timeout(20_000);
    // A script that exports once and then simply ends, without shutdown.
    const script = runNode('build/test/helpers/export-and-end.js', [receiver().url, TEST_API_KEY]);
    const started = Date.now();
    expect(await script.exited(), script.output()).to.equal(0);
    expect(Date.now() - started, 'the idle worker does not hold the process').to.be.lessThan(8_000);
    expect(
      receiver()
        .store.recordsOf('export-and-end')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message']);
  });
});
