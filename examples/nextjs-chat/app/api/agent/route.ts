import { createOpenAI } from '@ai-sdk/openai';
import { flushAgentSight } from 'agentsight-otel';
import { generateText, type ModelMessage } from 'ai';
import { after } from 'next/server';

/** Zero code: no AgentSight call in the turn; the AI SDK's telemetry names the conversation. */
const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });

export async function POST(request: Request): Promise<Response> {
  const { message, conversationId, history } = (await request.json()) as {
    message: string;
    conversationId: string;
    history: ModelMessage[];
  };
  const messages: ModelMessage[] = [...history, { role: 'user', content: message }];
  const result = await generateText({
    model: openai.chat('gpt-4o-mini'),
    messages,
    runtimeContext: { conversationId },
    telemetry: { isEnabled: true, functionId: 'chat', includeRuntimeContext: { conversationId: true } },
  });
  after(() => flushAgentSight({ timeoutMillis: 5_000 }));
  return Response.json({ answer: result.text, messages: [...messages, ...result.response.messages] });
}
