import { get as httpGet } from 'node:http';
import { SpanKind } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { AgentSightSpanExporter, AgentSightSpanProcessor, trackConversation } from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { type FakeOpenAI, startFakeOpenAI } from '../helpers/fake-openai';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

describe('alongside real instrumentations', () => {
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let sdk: NodeSDK | undefined;
  let fakeOpenAI: FakeOpenAI;

  before(async () => {
    fakeOpenAI = await startFakeOpenAI({ prompt_tokens: 12, completion_tokens: 7 });
  });
  after(() => fakeOpenAI.close());
  afterEach(async () => {
    await stopSdk(sdk);
    sdk = undefined;
  });

  const processorFor = (deliveryThread = true) =>
    new AgentSightSpanProcessor({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      scheduledDelayMillis: 20,
      deliveryThread,
    });

  it('counts the tokens of OpenAI calls (instrumentation-openai) into the conversation that made them', async () => {
    const processor = processorFor();
    const memory = new InMemorySpanExporter();
    sdk = startSdk({
      spanProcessors: [processor, new SimpleSpanProcessor(memory)],
      instrumentations: [new OpenAIInstrumentation()],
    });
    // Loaded after the instrumentation is enabled, as in an app whose OTel set-up runs first.
    const { OpenAI } = require('openai') as typeof import('openai');
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: fakeOpenAI.baseURL });
    const ask = (conversationId: string, calls: number) =>
      trackConversation({ conversationId, humanMessage: 'ping' }, async () => {
        for (let i = 0; i < calls; i++) {
          await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'ping' }] });
        }
        return 'pong';
      });
    await Promise.all([ask('llm-a', 2), ask('llm-b', 1)]);
    await processor.forceFlush();

    const chatSpans = memory.getFinishedSpans().filter((s) => s.name === 'chat gpt-4o-mini');
    expect(chatSpans, 'instrumentation-openai made the LLM spans').to.have.length(3);
    expect(chatSpans[0]?.kind).to.equal(SpanKind.CLIENT);
    for (const span of chatSpans)
      expect(span.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]).to.be.oneOf(['llm-a', 'llm-b']);

    // Usage is summed per export; the two calls of llm-a may have been exported apart.
    const usageOf = (id: string) => {
      const sum = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, embedding_tokens: 0 };
      for (const record of receiver()
        .store.recordsOf(id)
        .filter((r) => r.body.action_name === 'token_usage')) {
        const counts = record.body.metadata as typeof sum;
        for (const key of Object.keys(sum) as (keyof typeof sum)[]) sum[key] += counts[key];
      }
      return sum;
    };
    expect(usageOf('llm-a')).to.deep.equal({
      prompt_tokens: 24,
      completion_tokens: 14,
      total_tokens: 38,
      embedding_tokens: 0,
    });
    expect(usageOf('llm-b')).to.deep.equal({
      prompt_tokens: 12,
      completion_tokens: 7,
      total_tokens: 19,
      embedding_tokens: 0,
    });
    const kinds = receiver()
      .store.recordsOf('llm-b')
      .map((r) => (r.kind === 'message' ? r.body.sender : r.kind));
    expect(kinds, 'usage lands before the answer').to.deep.equal(['conversation', 'end_user', 'action', 'agent']);
  });

  // On the main thread the instrumentations see the exporter's requests (suppressTracing must hold
  // them off); in the worker thread they are not even loaded.
  for (const deliveryThread of [false, true]) {
    it(`never traces its own requests with instrumentation-http and -undici enabled (${deliveryThread ? 'worker' : 'main'} thread)`, async () => {
      const processor = processorFor(deliveryThread);
      const memory = new InMemorySpanExporter();
      sdk = startSdk({
        spanProcessors: [processor, new SimpleSpanProcessor(memory)],
        instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
      });
      // Core modules are patched when required after the instrumentation is enabled, as in an app
      // whose OTel set-up runs first; this process loaded http long before this test.
      require('node:http');
      await trackConversation({ conversationId: 'quiet', humanMessage: 'hi' }, async () => {
        // The application's own calls are traced: this proves both instrumentations are active.
        await fetch(`${receiver().url}/`).then((r) => r.text());
        await new Promise<void>((resolve) => httpGet(`${receiver().url}/`, (res) => res.resume().on('end', resolve)));
        return 'hello';
      });
      await processor.forceFlush();
      expect(receiver().store.recordsOf('quiet').length, 'the exporter did deliver').to.be.greaterThan(2);

      const clientSpans = memory.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
      const paths = clientSpans.map((s) => String(s.attributes['url.full'] ?? s.attributes['http.url'] ?? s.name));
      expect(clientSpans, `client spans: ${paths.join(', ')}`).to.have.length(2);
      expect(paths.some((p) => p.includes('/api/'))).to.equal(false);
    });
  }

  it('suppresses tracing of its requests itself, even when called outside a processor’s suppressed context', async () => {
    const memory = new InMemorySpanExporter();
    sdk = startSdk({
      spanProcessors: [new SimpleSpanProcessor(memory)],
      instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
    });
    // Spans to export, made without an AgentSight processor in the pipeline.
    trackConversation({ conversationId: 'direct' }, () => 'hi');
    const spans = memory.getFinishedSpans().filter((s) => s.name.startsWith('invoke_agent'));
    memory.reset();
    const exporter = new AgentSightSpanExporter({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      deliveryThread: false,
    });
    const code = await new Promise<number>((resolve) => exporter.export(spans, (result) => resolve(result.code)));
    await exporter.shutdown();
    expect(code).to.equal(0);
    expect(receiver().store.recordsOf('direct')).to.have.length(1);
    expect(memory.getFinishedSpans().map((s) => s.name)).to.deep.equal([]);
  });

  it('stamps the conversation on spans of other instrumentations started inside a turn', async () => {
    const processor = processorFor();
    const memory = new InMemorySpanExporter();
    sdk = startSdk({
      spanProcessors: [processor, new SimpleSpanProcessor(memory)],
      instrumentations: [new UndiciInstrumentation()],
    });
    await trackConversation({ conversationId: 'stamped', customerId: 'c-1' }, () =>
      fetch(`${receiver().url}/`).then((r) => r.text()),
    );
    await processor.forceFlush();
    const fetchSpan = memory.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT);
    expect(fetchSpan?.attributes).to.include({
      [semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]: 'stamped',
      [semconv.ATTR_GEN_AI_CONVERSATION_ID]: 'stamped',
      [semconv.ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID]: 'c-1',
    });
  });
});
