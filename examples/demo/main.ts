/**
 * `npm run demo`: the guide's chat server, tracked, end to end, on this machine alone.
 *
 * Starts the local AgentSight receiver and (without OPENAI_API_KEY) the offline scripted model,
 * starts the chat server, sends the guide's three requests, a message with an image and a feedback,
 * shuts telemetry down so everything is flushed, and prints each conversation as the receiver stored it.
 *
 * `npm run demo -- --live` sends to the real AgentSight API instead (needs AGENTSIGHT_API_KEY).
 */
import type { AgentSightProcessorOptions } from 'agentsight-otel';
import { type DevServer, renderTranscript, startDevServer } from 'agentsight-otel/dev-server';
import { gradientPng } from '../chat-server/sample-image';
import { startTelemetry, stopTelemetry } from '../chat-server/telemetry';

/** A placeholder key: the local receiver takes any key of the right form. */
const DEMO_KEY = `ags_${'0'.repeat(32)}_${'0'.repeat(6)}`;

/** The guide's three requests. */
const REQUESTS = [
  { message: 'Hello! Can you help me with some math?' },
  { message: 'What is 127 multiplied by 8?' },
  { message: 'And what is 1016 divided by 4?', conversation_id: 'web-chat-123', customer_id: 'user-456' },
  // A chat widget's upload: the image goes to AgentSight linked to this message.
  {
    message: 'Here is my chart of the results.',
    conversation_id: 'web-chat-123',
    image: { filename: 'chart.png', mime_type: 'image/png', data: gradientPng().toString('base64') },
  },
];

/** A request body for the console, with base64 bytes shortened. */
function shown(body: object): string {
  return JSON.stringify(body, (key, value) =>
    key === 'data' && typeof value === 'string' ? `<${Math.floor((value.length * 3) / 4)} bytes, base64>` : value,
  );
}

async function main(): Promise<void> {
  const live = process.argv.includes('--live');
  let receiver: DevServer | undefined;
  let agentsight: AgentSightProcessorOptions;
  if (live) {
    if (!process.env.AGENTSIGHT_API_KEY) {
      console.error('--live sends to the AgentSight API: set AGENTSIGHT_API_KEY first.');
      process.exit(2);
    }
    agentsight = {};
  } else {
    receiver = await startDevServer({ apiKey: DEMO_KEY });
    agentsight = { apiKey: DEMO_KEY, endpoint: receiver.url };
  }
  const sdk = startTelemetry({ ...agentsight, scheduledDelayMillis: 200 });
  // After telemetry: the instrumentations patch http and openai as the app loads them.
  const { startChatServer } = await import('../chat-server/app.js');
  const server = await startChatServer({ port: 0 });

  console.log('agentsight-otel demo');
  console.log(
    `  AgentSight: ${receiver ? `local receiver at ${receiver.url} (nothing leaves this machine)` : 'the AgentSight API (--live)'}`,
  );
  console.log(`  LLM:        ${server.modelLabel}`);
  console.log(`  chat:       ${server.url}/chat`);
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) console.log(`  OTLP:       ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}`);

  for (const body of REQUESTS) {
    const response = await fetch(`${server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    console.log(`\nPOST /chat ${shown(body)}\n  → ${response.status} ${await response.text()}`);
  }
  // The user rates the last conversation: a request of its own, tracked as feedback.
  const rating = { conversation_id: 'web-chat-123', sentiment: 'positive', comment: 'Quick and right' };
  const rated = await fetch(`${server.url}/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rating),
  });
  console.log(`\nPOST /feedback ${JSON.stringify(rating)}\n  → ${rated.status} ${await rated.text()}`);

  await server.close();
  await stopTelemetry(sdk);

  if (receiver) {
    console.log('\nWhat AgentSight received, conversation by conversation:\n');
    for (const conversation of receiver.store.conversations) {
      console.log(`${renderTranscript(conversation, receiver.store.recordsOf(conversation.conversationId))}\n`);
    }
    const rejected = receiver.requests.filter((r) => r.status >= 400).length;
    console.log(
      `${receiver.store.conversations.length} conversations, ${receiver.store.records.length} records stored, ` +
        `${rejected} requests rejected.`,
    );
    await receiver.close();
    if (rejected > 0) process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
