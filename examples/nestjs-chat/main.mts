/**
 * The chat server as a NestJS application: `node build/examples/nestjs-chat/main.mjs`. The same
 * environment as the Fastify chat server (AGENTSIGHT_API_KEY, AGENTSIGHT_API_ENDPOINT,
 * OPENAI_API_KEY or the offline scripted model, PORT). Telemetry starts first, so the
 * instrumentations patch `http` and `openai` as they are loaded.
 */
import { startTelemetry, stopTelemetry } from '#examples/chat-server/telemetry';

const sdk = startTelemetry({});
const { Module } = await import('@nestjs/common');
const { NestFactory } = await import('@nestjs/core');
const { createAssistant } = await import('#examples/chat-server/assistant');
const { chooseModel } = await import('#examples/chat-server/model');
const { ASSISTANT, ChatController, MessageGuard, WithConversationId } = await import('./chat.controller.mjs');

const model = await chooseModel();

@Module({
  controllers: [ChatController],
  providers: [MessageGuard, WithConversationId, { provide: ASSISTANT, useValue: createAssistant(model.settings) }],
})
class ChatModule {}

const app = await NestFactory.create(ChatModule, { logger: ['error'] });
await app.listen(Number(process.env.PORT ?? 8000), process.env.HOST ?? '127.0.0.1');
console.log(`nestjs chat server listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}`);
console.log(`LLM: ${model.label}`);

process.once('SIGTERM', async () => {
  await app.close();
  await model.close();
  await stopTelemetry(sdk);
  process.exit(0);
});
