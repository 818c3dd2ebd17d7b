/**
 * Assembles the chat server: model, assistant, service, HTTP. Import it only after telemetry has
 * started (as main.ts and the demo do), so `openai` is loaded under the instrumentation.
 */
import { createAssistant } from './assistant';
import { ChatService } from './chat-service';
import { chooseModel } from './model';
import { buildServer } from './server';

/** A running chat server. */
export interface RunningChatServer {
  readonly url: string;
  /** Which model answers. */
  readonly modelLabel: string;
  close(): Promise<void>;
}

export async function startChatServer(options: { port?: number; host?: string } = {}): Promise<RunningChatServer> {
  const model = await chooseModel();
  const app = buildServer(new ChatService(createAssistant(model.settings)));
  const url = await app.listen({ port: options.port ?? 8000, host: options.host ?? '127.0.0.1' });
  return {
    url,
    modelLabel: model.label,
    close: async () => {
      await app.close();
      await model.close();
    },
  };
}
