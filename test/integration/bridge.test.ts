import { gzipSync } from 'node:zlib';
import { Metadata, status } from '@grpc/grpc-js';
import { context, trace } from '@opentelemetry/api';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import {
  BatchLogRecordProcessor,
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { trackAction, trackConversation } from 'agentsight-otel';
import { type Bridge, startBridge } from 'agentsight-otel/bridge';
import { expect } from 'chai';
import { traceServiceClient } from '../helpers/grpc-trace-client';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startTracing, stopTracing } from '../helpers/tracing';

const TOKEN = 'bridge-test-token-0123456789';

/** A turn of `conversationId` as finished spans of the real SDK (in memory). */
async function turnSpans(conversationId: string, question: string): Promise<ReadableSpan[]> {
  const tracing = startTracing();
  try {
    await trackConversation({ conversationId, humanMessage: question }, async () => {
      trackAction({ name: 'lookup' }, () => 'found');
      return `answer to ${question}`;
    });
    return tracing.spans();
  } finally {
    await stopTracing(tracing);
  }
}

/** POSTs an OTLP body to the bridge as the Collector would. */
async function send(
  bridge: Bridge,
  body: Uint8Array | string,
  { json = false, gzip = false, token = TOKEN }: { json?: boolean; gzip?: boolean; token?: string | null } = {},
) {
  const headers: Record<string, string> = { 'content-type': json ? 'application/json' : 'application/x-protobuf' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (gzip) headers['content-encoding'] = 'gzip';
  const payload = gzip ? gzipSync(body) : body;
  const response = await fetch(`${bridge.url}/v1/traces`, { method: 'POST', headers, body: payload });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

describe('the bridge: OTLP/HTTP in, AgentSight out', function () {
  this.timeout(60_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let bridge: Bridge;
  beforeEach(async () => {
    bridge = await startBridge({
      apiKey: TEST_API_KEY,
      endpoint: receiver().url,
      token: TOKEN,
      port: 0,
      answerWithinMillis: 3_000,
      retryDelayMillis: 200,
      grpcPort: 0,
    });
  });
  afterEach(() => bridge.close());

  it('takes what the OTel JS OTLP exporters send (protobuf with gzip, and JSON) and delivers it in order', async () => {
    for (const [conversationId, exporter] of [
      [
        'via-protobuf',
        new ProtobufExporter({
          url: `${bridge.url}/v1/traces`,
          headers: { authorization: `Bearer ${TOKEN}` },
          compression: 'gzip' as never,
        }),
      ],
      ['via-json', new JsonExporter({ url: `${bridge.url}/v1/traces`, headers: { authorization: `Bearer ${TOKEN}` } })],
    ] as const) {
      const tracing = startTracing([new BatchSpanProcessor(exporter)]);
      try {
        await trackConversation({ conversationId, humanMessage: 'What is 6 times 7?' }, async () => {
          trackAction({ name: 'calculator' }, () => '42');
          return 'It is 42.';
        });
      } finally {
        await stopTracing(tracing);
      }
    }
    for (const conversationId of ['via-protobuf', 'via-json']) {
      const story = receiver()
        .store.recordsOf(conversationId)
        .map((r) =>
          r.kind === 'message'
            ? `${r.body.sender}: ${r.body.content}`
            : r.kind === 'action'
              ? `action ${r.body.action_name}`
              : r.kind,
        );
      expect(story, conversationId).to.deep.equal([
        'conversation',
        'end_user: What is 6 times 7?',
        'action calculator',
        'agent: It is 42.',
      ]);
    }
    expect(bridge.stats().requests.accepted).to.be.at.least(2);
  });

  it('takes OTLP/gRPC from the OTel JS gRPC exporter, with the token in metadata', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${TOKEN}`);
    const exporter = new GrpcExporter({ url: `http://127.0.0.1:${bridge.grpcPort}`, metadata });
    const tracing = startTracing([new BatchSpanProcessor(exporter)]);
    try {
      await trackConversation({ conversationId: 'via-grpc', humanMessage: 'Over gRPC?' }, async () => 'Yes.');
    } finally {
      await stopTracing(tracing);
    }
    const story = receiver()
      .store.recordsOf('via-grpc')
      .map((r) => (r.kind === 'message' ? `${r.body.sender}: ${r.body.content}` : r.kind));
    expect(story).to.deep.equal(['conversation', 'end_user: Over gRPC?', 'agent: Yes.']);
  });

  /**
   * A zero-code LLM call as the JS OpenAI instrumentation reports it: a span with no content
   * inside the app's turn span (which names the conversation), and the messages as log records.
   */
  function zeroCodeCall(conversationId: string, logs: LoggerProvider): void {
    const tracer = trace.getTracer('app');
    const logger = logs.getLogger('openai');
    tracer.startActiveSpan('chat turn', { attributes: { 'gen_ai.conversation.id': conversationId } }, (turn) => {
      tracer.startActiveSpan('chat gpt-test', { attributes: { 'gen_ai.operation.name': 'chat' } }, (call) => {
        const at = context.active();
        logger.emit({ attributes: { 'event.name': 'gen_ai.user.message' }, body: { content: 'Hello?' }, context: at });
        logger.emit({
          attributes: { 'event.name': 'gen_ai.choice' },
          body: { finish_reason: 'stop', index: 0, message: { content: 'Hello!' } },
          context: at,
        });
        call.setAttributes({ 'gen_ai.usage.input_tokens': 7, 'gen_ai.usage.output_tokens': 3 });
        call.end();
      });
      turn.end();
    });
  }

  const zeroCodeStory = (id: string) =>
    receiver()
      .store.recordsOf(id)
      .map((r) =>
        r.kind === 'message' ? `${r.body.sender}: ${r.body.content}` : String(r.body.action_name ?? r.kind),
      );

  it('zero code over OTLP/gRPC: GenAI events (LogsService) that come before their span are joined to it', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', `Bearer ${TOKEN}`);
    const url = `http://127.0.0.1:${bridge.grpcPort}`;
    const logs = new LoggerProvider({
      processors: [new BatchLogRecordProcessor({ exporter: new GrpcLogExporter({ url, metadata }) })],
    });
    const tracing = startTracing([new BatchSpanProcessor(new GrpcExporter({ url, metadata }))]);
    try {
      zeroCodeCall('zero-grpc', logs);
      await logs.forceFlush(); // the events first
    } finally {
      await stopTracing(tracing);
      await logs.shutdown();
    }
    expect(zeroCodeStory('zero-grpc')).to.deep.equal([
      'conversation',
      'end_user: Hello?',
      'agent: Hello!',
      'token_usage',
    ]);
  });

  it('zero code over OTLP/HTTP JSON: GenAI events (/v1/logs) that come after their span complete it, and the answer is a logs answer', async () => {
    const memory = new InMemoryLogRecordExporter();
    const logs = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    const tracing = startTracing();
    let spans: ReadableSpan[];
    try {
      zeroCodeCall('zero-json', logs);
      spans = tracing.spans();
    } finally {
      await stopTracing(tracing);
    }
    expect(
      (await send(bridge, JsonTraceSerializer.serializeRequest(spans) as Uint8Array, { json: true })).status,
    ).to.equal(200);
    expect(zeroCodeStory('zero-json')).to.deep.equal(['conversation', 'token_usage']);
    const body = JsonLogsSerializer.serializeRequest(memory.getFinishedLogRecords()) as Uint8Array;
    const response = await fetch(`${bridge.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body,
    });
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({});
    expect(zeroCodeStory('zero-json')).to.deep.equal([
      'conversation',
      'token_usage',
      'end_user: Hello?',
      'agent: Hello!',
    ]);
    await logs.shutdown();
  });

  it('answers gRPC UNAVAILABLE with a RetryInfo while AgentSight is down, and UNAUTHENTICATED without the token', async () => {
    const client = traceServiceClient(bridge.grpcPort as number);
    const call = (body: Uint8Array, token: string | null) => client.call(body, token);
    try {
      const body = ProtobufTraceSerializer.serializeRequest(await turnSpans('grpc-outage', 'anyone?')) as Uint8Array;
      expect((await call(body, null)).code).to.equal(status.UNAUTHENTICATED);
      await receiver().stopListening();
      const refused = await call(body, TOKEN);
      expect(refused.code).to.equal(status.UNAVAILABLE);
      expect(refused.details).to.match(/retry in \d+ s/);
      // google.rpc.Status { details: [Any { type_url: RetryInfo }] } rides in grpc-status-details-bin.
      const detailsBin = refused.trailer?.get('grpc-status-details-bin')[0] as Buffer | undefined;
      expect(detailsBin?.toString('latin1')).to.include('type.googleapis.com/google.rpc.RetryInfo');
      await receiver().listenAgain();
      let retried = await call(body, TOKEN);
      for (let i = 0; i < 20 && retried.code === status.UNAVAILABLE; i += 1) {
        await new Promise((r) => setTimeout(r, 500));
        retried = await call(body, TOKEN);
      }
      expect(retried.code).to.equal(status.OK);
      expect(
        receiver()
          .store.recordsOf('grpc-outage')
          .map((r) => r.kind),
      ).to.deep.equal(['conversation', 'message', 'action', 'message']);
    } finally {
      client.close();
    }
  });

  it('refuses requests without the token, of other types, or unreadable, and reports health', async () => {
    const body = ProtobufTraceSerializer.serializeRequest(await turnSpans('refused', 'hi')) as Uint8Array;
    expect((await send(bridge, body, { token: null })).status).to.equal(401);
    expect((await send(bridge, body, { token: 'wrong-token-0123456789' })).status).to.equal(401);
    const xml = await fetch(`${bridge.url}/v1/traces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/xml' },
      body: '<x/>',
    });
    expect(xml.status).to.equal(415);
    expect((await send(bridge, new Uint8Array([0xff, 0xff, 0xff, 0xff]))).status).to.equal(400);
    expect((await send(bridge, '{not json', { json: true })).status).to.equal(400);
    expect(receiver().store.conversations).to.deep.equal([]);
    const health = await fetch(`${bridge.url}/healthz`);
    expect(health.status).to.equal(200);
    expect(await health.json()).to.include({ status: 'ok', agentsight: 'available' });
  });

  it('answers 503 with Retry-After while AgentSight is down, keeps nothing, and takes the retry once it is back', async () => {
    const spans = await turnSpans('outage', 'are you there?');
    const body = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
    await receiver().stopListening();
    const refused = await send(bridge, body, { gzip: true });
    expect(refused.status).to.equal(503);
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 10);
    const stats = bridge.stats();
    expect(stats.queuedItems, 'the items went back to the sender').to.equal(0);
    expect(
      Object.values(stats.dropped).reduce((a, b) => a + b, 0),
      'nothing counted lost',
    ).to.equal(0);
    await receiver().listenAgain();
    // The Collector retries after Retry-After; the bridge probes the API again meanwhile.
    let retried = await send(bridge, body, { gzip: true });
    for (let i = 0; i < 20 && retried.status === 503; i += 1) {
      await new Promise((r) => setTimeout(r, 500));
      retried = await send(bridge, body, { gzip: true });
    }
    expect(retried.status).to.equal(200);
    // And a duplicate delivery of the same batch (a Collector retry after a lost answer) is stored once.
    expect((await send(bridge, body)).status).to.equal(200);
    const kinds = receiver()
      .store.recordsOf('outage')
      .map((r) => r.kind);
    expect(kinds).to.deep.equal(['conversation', 'message', 'action', 'message']);
  });

  it('reports items AgentSight rejects for good in partial_success, and delivers the rest', async () => {
    // The API's error echoes the key, upper-cased: the answer to the Collector must not carry it.
    receiver().faults.script({
      path: '/api/action_logs/',
      status: 400,
      body: { action_name: [`Nope for ${TEST_API_KEY.toUpperCase()}.`] },
    });
    const body = JsonTraceSerializer.serializeRequest(await turnSpans('partly', 'try this')) as Uint8Array;
    const answer = await send(bridge, Buffer.from(body).toString('utf8'), { json: true });
    expect(answer.status).to.equal(200);
    const parsed = JSON.parse(answer.body.toString('utf8'));
    expect(parsed.partialSuccess.rejectedSpans).to.equal('1');
    expect(parsed.partialSuccess.errorMessage).to.include('400');
    expect(answer.body.toString('utf8').toLowerCase()).to.not.include(TEST_API_KEY.toLowerCase());
    expect(bridge.stats().requests.rejectedSpans).to.equal(1);
    expect(
      receiver()
        .store.recordsOf('partly')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message', 'message']);
  });

  it('shuts down gracefully: health turns 503 and a request in progress is still answered', async () => {
    receiver().setLatency(500);
    const body = ProtobufTraceSerializer.serializeRequest(await turnSpans('closing', 'last one')) as Uint8Array;
    const pending = send(bridge, body);
    await new Promise((r) => setTimeout(r, 100));
    const closed = bridge.close();
    expect((await pending).status).to.equal(200);
    await closed;
    expect(
      receiver()
        .store.recordsOf('closing')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message', 'action', 'message']);
  });
});
