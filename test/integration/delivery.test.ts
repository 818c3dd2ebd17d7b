import type { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AgentSightDeliveryError,
  type AgentSightProcessorOptions,
  AgentSightSpanProcessor,
  TrackAction,
  TrackConversation,
  trackTokenUsage,
} from 'agentsight-otel';
import type { StoredRecord } from 'agentsight-otel/dev-server';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PYTHON_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/;

interface Turn {
  conversationId: string;
  message: string;
  steps?: number;
  pauseMs?: number;
}

class Tools {
  @TrackAction({ name: 'lookup', toolsUsed: { tool: 'db' } })
  async lookup(step: number, pauseMs: number): Promise<string> {
    await sleep(pauseMs);
    return `result ${step}`;
  }
}

class Agent {
  tools = new Tools();

  @TrackConversation({
    name: 'Integration',
    source: 'api',
    customerId: 'customer-1',
    conversationId: (turn: Turn) => turn.conversationId,
    humanMessage: (turn: Turn) => turn.message,
  })
  async handle(turn: Turn): Promise<string> {
    for (let step = 0; step < (turn.steps ?? 1); step++) await this.tools.lookup(step, turn.pauseMs ?? 1);
    trackTokenUsage({ promptTokens: 10, completionTokens: 5 });
    return `answer to ${turn.message}`;
  }
}

/** The kinds and texts of a conversation's stored records, in arrival order. */
function story(records: readonly StoredRecord[]): string[] {
  return records.map((r) => {
    const b = r.body as Record<string, any>;
    if (r.kind === 'message') return `${b.sender}: ${b.content}`;
    if (r.kind === 'action')
      return b.action_name === 'token_usage'
        ? `tokens ${b.metadata.total_tokens}`
        : `action ${b.action_name}: ${b.response}`;
    return r.kind;
  });
}

for (const deliveryThread of [true, false])
  describe(`AgentSightSpanProcessor + NodeSDK delivering to the local receiver (${deliveryThread ? 'worker thread' : 'main thread'})`, () => {
    const receiver = useReceiver({ apiKey: TEST_API_KEY });
    let sdk: NodeSDK | undefined;
    let processor: AgentSightSpanProcessor;
    const agent = new Agent();

    function start(options: AgentSightProcessorOptions = {}): AgentSightSpanProcessor {
      processor = new AgentSightSpanProcessor({
        apiKey: TEST_API_KEY,
        endpoint: receiver().url,
        scheduledDelayMillis: 20,
        retryDelayMillis: 20,
        timeoutMillis: 2_000,
        deliveryThread,
        ...options,
      });
      sdk = startSdk({ spanProcessors: [processor] });
      return processor;
    }

    afterEach(async () => {
      await stopSdk(sdk);
      sdk = undefined;
    });

    it('creates the conversation once across turns, and links every item to it', async () => {
      start();
      await agent.handle({ conversationId: 'multi', message: 'first' });
      await processor.forceFlush();
      await agent.handle({ conversationId: 'multi', message: 'second' });
      await processor.forceFlush();

      const conversation = receiver().store.conversation('multi');
      expect(conversation?.createCalls).to.equal(1);
      expect(conversation?.fields).to.deep.include({
        name: 'Integration',
        source: 'api',
        customer_id: 'customer-1',
        is_used: true,
        environment: 'development',
      });
      expect(story(receiver().store.recordsOf('multi'))).to.deep.equal([
        'conversation',
        'end_user: first',
        'action lookup: result 0',
        'tokens 15',
        'agent: answer to first',
        'end_user: second',
        'action lookup: result 0',
        'tokens 15',
        'agent: answer to second',
      ]);
      for (const record of receiver().store.recordsOf('multi')) {
        expect(record.body.timestamp).to.match(PYTHON_TIMESTAMP);
        if (record.kind !== 'conversation') expect(record.body.conversation).to.equal(conversation?.id);
      }
      const action = receiver().store.records.find((r) => r.kind === 'action' && r.body.action_name === 'lookup');
      expect(action?.body).to.include.keys(['started_at', 'ended_at', 'duration_ms', 'tools_used', 'response']);
      // The arguments, and the trace link every item carries (traceLinks, on by default).
      const {
        'otel.trace_id': traceId,
        'otel.span_id': spanId,
        ...metadata
      } = (action?.body.metadata ?? {}) as Record<string, unknown>;
      expect(metadata).to.deep.equal({ arguments: [0, 1] });
      expect(traceId).to.match(/^[0-9a-f]{32}$/);
      expect(spanId).to.match(/^[0-9a-f]{16}$/);
    });

    it('delivers a long turn in order across several batches', async () => {
      start({ maxExportBatchSize: 2, scheduledDelayMillis: 5 });
      let exports = 0;
      const exportBatch = processor.exporter.export.bind(processor.exporter);
      processor.exporter.export = (spans, done) => {
        exports += 1;
        exportBatch(spans, done);
      };
      await agent.handle({ conversationId: 'long', message: 'go', steps: 8, pauseMs: 15 });
      await processor.forceFlush();

      expect(exports, 'the turn was exported in several batches').to.be.greaterThan(3);
      expect(story(receiver().store.recordsOf('long'))).to.deep.equal([
        'conversation',
        'end_user: go',
        ...Array.from({ length: 8 }, (_, i) => `action lookup: result ${i}`),
        'tokens 15',
        'agent: answer to go',
      ]);
      const times = receiver()
        .store.recordsOf('long')
        .slice(1)
        .map((r) => String(r.body.timestamp));
      expect([...times].sort()).to.deep.equal(times);
      // The first batch held no turn span (it ends last), yet the conversation has its fields.
      expect(receiver().store.conversation('long')?.fields).to.deep.include({
        name: 'Integration',
        customer_id: 'customer-1',
      });
    });

    it('delivers 50 concurrent conversations completely, each in order', async () => {
      start({ concurrency: 8 });
      const ids = Array.from({ length: 50 }, (_, i) => `concurrent-${i}`);
      await Promise.all(
        ids.map((id, i) => agent.handle({ conversationId: id, message: `m${i}`, steps: 2, pauseMs: (i * 7) % 5 })),
      );
      await processor.forceFlush();
      expect(receiver().store.conversations).to.have.length(50);
      ids.forEach((id, i) => {
        expect(story(receiver().store.recordsOf(id)), id).to.deep.equal([
          'conversation',
          `end_user: m${i}`,
          'action lookup: result 0',
          'action lookup: result 1',
          'tokens 15',
          `agent: answer to m${i}`,
        ]);
      });
      expect(receiver().requests.every((r) => r.status < 300)).to.equal(true);
    });

    it('survives 503, 429 with Retry-After, a slow answer and a cut connection: every item once', async function () {
      this.timeout(20_000);
      start({ timeoutMillis: 300 });
      receiver().faults.script(
        { status: 503 },
        { path: '/api/track/', status: 429, retryAfter: 1 },
        { path: '/api/action_logs/', delayMs: 800 },
        { path: '/api/track/', reset: true, afterProcessing: true },
        { path: '/api/action_logs/', reset: true },
      );
      await agent.handle({ conversationId: 'faults', message: 'hello', steps: 2 });
      await processor.forceFlush();

      expect(receiver().faults.remaining).to.equal(0);
      expect(story(receiver().store.recordsOf('faults'))).to.deep.equal([
        'conversation',
        'end_user: hello',
        'action lookup: result 0',
        'action lookup: result 1',
        'tokens 15',
        'agent: answer to hello',
      ]);
      const keys = receiver()
        .store.recordsOf('faults')
        .map((r) => r.idempotencyKey);
      expect(new Set(keys).size).to.equal(keys.length);
      const replays = receiver().requests.filter((r) => r.replayed);
      expect(
        replays.length,
        'items stored before the answer was lost were replayed, not stored again',
      ).to.be.greaterThanOrEqual(2);
      const retryAfter = receiver().requests.findIndex((r) => r.status === 429);
      expect(retryAfter).to.be.greaterThan(-1);
    });

    it('does not retry a 401, reports the loss once through diag, and never logs the key', async () => {
      const wrongKey = 'ags_ffffffffffffffffffffffffffffffff_ffffff';
      const diag = captureDiag();
      let error: unknown;
      try {
        start({ apiKey: wrongKey });
        await agent.handle({ conversationId: 'denied', message: 'hi', steps: 3 });
        await processor.forceFlush().catch((e: unknown) => {
          error = e;
        });
      } finally {
        diag.restore();
      }
      expect(error, 'a loss rejects forceFlush').to.be.instanceOf(AgentSightDeliveryError);
      expect((error as AgentSightDeliveryError).dropped).to.deep.equal({ unauthorized: 6 });
      expect(receiver().requests.map((r) => r.status)).to.deep.equal([401]);
      expect(receiver().store.records).to.have.length(0);
      const about401 = diag.warnings.filter((line) => line.includes('401'));
      expect(about401, diag.all.join('\n')).to.have.length(1);
      expect(about401[0]).to.match(
        /6 item\(s\) not delivered \(6 unauthorized\).*the record of conversation denied: 401 Invalid API key\./,
      );
      expect(diag.all.join('\n')).not.to.contain(wrongKey);
      expect(diag.all.join('\n')).not.to.contain(TEST_API_KEY);
    });

    it('refuses exports after shutdown, and flushes what was pending first', async () => {
      start({ scheduledDelayMillis: 60_000 });
      await agent.handle({ conversationId: 'at-shutdown', message: 'last words' });
      expect(receiver().store.records, 'nothing exported before shutdown').to.have.length(0);
      await sdk?.shutdown();
      expect(story(receiver().store.recordsOf('at-shutdown'))).to.include('agent: answer to last words');
      const result = await new Promise<number>((resolve) => processor.exporter.export([], (r) => resolve(r.code)));
      expect(result).to.equal(1);
    });

    it('takes the environment of conversations that name none from AGENTSIGHT_ENVIRONMENT', async () => {
      process.env.AGENTSIGHT_ENVIRONMENT = 'production';
      try {
        start();
      } finally {
        delete process.env.AGENTSIGHT_ENVIRONMENT;
      }
      await agent.handle({ conversationId: 'prod', message: 'x' });
      await processor.forceFlush();
      expect(receiver().store.conversation('prod')?.fields.environment).to.equal('production');
    });
  });
