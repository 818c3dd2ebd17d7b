// The compatibility matrix's end-to-end scenario, run inside a consumer project that installed
// its own OpenTelemetry set-up first and then agentsight-otel's packed tarball (scripts/compat-matrix.sh).
// Plain CommonJS, as a user's app might be. NodeSDK with the http and undici instrumentations and
// AgentSightSpanProcessor; 10 conversations of 2 turns, each turn with a tool call and an HTTP
// call of the app's own. Checks: every conversation delivered whole and in order, the app's HTTP
// spans stamped with their conversation, and no span of the exporter's own requests.
'use strict';

const KEY = 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3';
const line = process.argv[2] || 'unknown';

function fail(message) {
  console.error(`compat ${line}: FAILED: ${message}`);
  process.exit(1);
}

async function main() {
  const { SpanKind } = require('@opentelemetry/api');
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');
  const { startDevServer } = require('agentsight-otel/dev-server');
  const agentsight = require('agentsight-otel');

  const receiver = await startDevServer({ apiKey: KEY });
  const seen = [];
  const recorder = {
    onStart() {},
    onEnd(span) {
      seen.push(span);
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  // Delivery on the main thread, so that the exporter's requests pass the app's undici
  // instrumentation: none may become a span on any line.
  const processor = new agentsight.AgentSightSpanProcessor({
    apiKey: KEY,
    endpoint: receiver.url,
    deliveryThread: false,
    strict: true,
    scheduledDelayMillis: 50,
  });
  const sdk = new NodeSDK({
    spanProcessors: [processor, recorder],
    instrumentations: [new HttpInstrumentation(), new UndiciInstrumentation()],
  });
  sdk.start();
  const http = require('node:http');
  const get = (url) =>
    new Promise((resolve, reject) => {
      http.get(url, (response) => response.resume().on('end', resolve)).on('error', reject);
    });

  const ids = Array.from({ length: 10 }, (_, i) => `compat-${i}`);
  for (const id of ids) {
    for (let turn = 0; turn < 2; turn++) {
      await agentsight.trackConversation({ conversationId: id, humanMessage: `question ${turn}` }, async () => {
        agentsight.trackAction('lookup', () => `result ${turn}`);
        await get(`${receiver.url}/?from=${id}`);
        return `answer ${turn}`;
      });
    }
  }
  await sdk.shutdown(); // rejects (and fails the scenario) if anything was lost

  const expected = ['conversation'];
  for (let turn = 0; turn < 2; turn++) expected.push(`question ${turn}`, `result ${turn}`, `answer ${turn}`);
  for (const id of ids) {
    const story = receiver.store
      .recordsOf(id)
      .map((r) => (r.kind === 'message' ? r.body.content : r.kind === 'action' ? r.body.response : r.kind));
    if (JSON.stringify(story) !== JSON.stringify(expected)) fail(`${id} arrived as ${JSON.stringify(story)}`);
  }
  const url = (span) => String(span.attributes['url.full'] || span.attributes['http.url'] || '');
  const clients = seen.filter((span) => span.kind === SpanKind.CLIENT);
  const own = clients.filter((span) => url(span).includes('/api/'));
  if (own.length > 0) fail(`${own.length} spans of the exporter's own requests, e.g. ${url(own[0])}`);
  const app = clients.filter((span) => url(span).includes('/?from='));
  if (app.length !== 20) fail(`expected 20 spans of the app's HTTP calls, saw ${app.length}`);
  const unstamped = app.filter((span) => span.attributes['agentsight.conversation.id'] === undefined);
  if (unstamped.length > 0) fail(`${unstamped.length} HTTP spans without their conversation`);
  await receiver.close();
  console.log(
    `compat ${line}: OK (node ${process.version}): 10 conversations × 2 turns delivered in order, ` +
      `${app.length} app HTTP spans stamped, 0 spans of our requests`,
  );
}

main().catch((error) => fail(error?.stack ?? String(error)));
