import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  InMemorySpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { AgentSightSampler, AgentSightSpanProcessor, TrackConversation } from 'agentsight-otel';
import type { StoredRecord } from 'agentsight-otel/dev-server';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

class Agent {
  @TrackConversation({ conversationId: (id: string) => id, humanMessage: (_id: string, text: string) => text })
  async handle(_id: string, text: string): Promise<string> {
    // An LLM call inside the turn, as an LLM instrumentation records it: its tokens must count.
    const llm = trace.getTracer('fake-llm').startSpan('chat fake-model', {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 },
    });
    await new Promise((resolve) => setTimeout(resolve, 1));
    llm.end();
    return `answer to ${text}`;
  }
}

/** Every span any processor was shown (recorded spans, sampled or not). */
class RecordedSpans implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function story(records: readonly StoredRecord[]): string[] {
  return records.map((r) => {
    const body = r.body as Record<string, any>;
    if (r.kind === 'message') return `${body.sender}: ${body.content}`;
    if (r.kind === 'action') return `${body.action_name} ${body.metadata.total_tokens}`;
    return r.kind;
  });
}

describe('sampling: every conversation reaches AgentSight, other backends stay sampled', function () {
  this.timeout(60_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  const agent = new Agent();
  let sdk: NodeSDK | undefined;
  let processor: AgentSightSpanProcessor;
  let memory: InMemorySpanExporter;
  let recorded: RecordedSpans;
  let otherBackend: BatchSpanProcessor;

  function start(sampler: Sampler): void {
    processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: receiver().url });
    memory = new InMemorySpanExporter();
    recorded = new RecordedSpans();
    otherBackend = new BatchSpanProcessor(memory, { scheduledDelayMillis: 10 });
    sdk = startSdk({ sampler, spanProcessors: [processor, otherBackend, recorded] });
  }

  afterEach(async () => {
    await stopSdk(sdk);
    sdk = undefined;
  });

  const ids = Array.from({ length: 100 }, (_, i) => `sampled-${i}`);
  const ratio = () => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) });

  it('delivers 100 of 100 conversations with their items and tokens under a 10% ratio, wrapped', async () => {
    start(new AgentSightSampler(ratio()));
    for (const id of ids) await agent.handle(id, `question ${id}`);
    await processor.forceFlush();
    await otherBackend.forceFlush();

    for (const id of ids) {
      expect(story(receiver().store.recordsOf(id)), id).to.deep.equal([
        'conversation',
        `end_user: question ${id}`,
        'token_usage 15',
        `agent: answer to question ${id}`,
      ]);
    }
    // The other backend got exactly the traces the 10% ratio sampled, whole, and nothing else.
    const turns = recorded.spans.filter((s) => s.name.startsWith('invoke_agent'));
    expect(turns).to.have.length(100);
    const decide = new TraceIdRatioBasedSampler(0.1);
    const sampledTraces = new Set(
      turns
        .map((s) => s.spanContext().traceId)
        .filter(
          (traceId) => decide.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED,
        ),
    );
    // Stated tolerance: 10% of 100 is 10 ± 3; between 1 and 30 in a run.
    expect(sampledTraces.size).to.be.within(1, 30);
    const exported = memory.getFinishedSpans();
    expect(new Set(exported.map((s) => s.spanContext().traceId))).to.deep.equal(sampledTraces);
    expect(exported.every((s) => (s.spanContext().traceFlags & 1) === 1)).to.equal(true);
    expect(exported).to.have.length(sampledTraces.size * 4); // turn, two messages, the LLM call
  });

  it('warns once and counts the conversations it misses when the sampler is not wrapped', async () => {
    const diag = captureDiag();
    try {
      start(ratio());
      for (const id of ids) await agent.handle(id, `question ${id}`);
      await processor.forceFlush().catch(() => undefined);
    } finally {
      diag.restore();
    }
    const delivered = receiver().store.conversations.length;
    const missed = processor.stats().dropped.not_sampled;
    expect(delivered).to.be.within(1, 30);
    expect(missed + delivered).to.equal(100);
    const warnings = diag.warnings.filter((w) => w.includes('AgentSightSampler'));
    expect(warnings, diag.warnings.join('\n')).to.have.length(1);
    expect(warnings[0]).to.match(/\d+ item\(s\) not delivered \(\d+ not_sampled\)/);
    expect(warnings[0]).to.contain(`${warnings[0]?.match(/\((\d+) not_sampled/)?.[1]} not_sampled`);
  });

  it('still delivers every conversation under AlwaysOffSampler, and records nothing else', async () => {
    start(new AgentSightSampler(new AlwaysOffSampler()));
    for (const id of ids.slice(0, 10)) await agent.handle(id, 'hi');
    const outside = trace.getTracer('background').startSpan('cron job');
    expect(outside.isRecording(), 'a span outside any conversation keeps the wrapped decision').to.equal(false);
    outside.end();
    await processor.forceFlush();
    await otherBackend.forceFlush();
    expect(receiver().store.conversations).to.have.length(10);
    expect(memory.getFinishedSpans()).to.have.length(0);
    expect(recorded.spans.every((s) => s.attributes['agentsight.conversation.id'] !== undefined)).to.equal(true);
  });

  it('builds the wrapped sampler from OTEL_TRACES_SAMPLER when given none, and says what it wraps', () => {
    process.env.OTEL_TRACES_SAMPLER = 'parentbased_traceidratio';
    process.env.OTEL_TRACES_SAMPLER_ARG = '0.1';
    try {
      const sampler = new AgentSightSampler();
      expect(sampler.toString()).to.equal(
        'AgentSightSampler{ParentBased{root=TraceIdRatioBased{0.1}, remoteParentSampled=AlwaysOnSampler, remoteParentNotSampled=AlwaysOffSampler, localParentSampled=AlwaysOnSampler, localParentNotSampled=AlwaysOffSampler}}',
      );
    } finally {
      delete process.env.OTEL_TRACES_SAMPLER;
      delete process.env.OTEL_TRACES_SAMPLER_ARG;
    }
    expect(new AgentSightSampler(new AlwaysOffSampler()).toString()).to.equal('AgentSightSampler{AlwaysOffSampler}');
    expect(() => new AgentSightSampler({} as Sampler)).to.throw(TypeError, /wraps a sampler/);
    // Both forms type-check where the SDK wants its own Sampler (a compile-time check).
    const fromEnvironment: Sampler = new AgentSightSampler();
    const wrapped: Sampler = new AgentSightSampler(ratio());
    expect([fromEnvironment, wrapped]).to.have.length(2);
  });
});
