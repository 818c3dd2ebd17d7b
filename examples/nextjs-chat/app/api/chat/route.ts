import { flushAgentSight, TrackConversation } from 'agentsight-otel';
import { after } from 'next/server';

/** The chat turn: a decorated method, built by Next.js with the tsconfig.json it generates. */
class Assistant {
  @TrackConversation({
    conversationId: (_question: string, conversationId: string) => conversationId,
    humanMessage: (question: string) => question,
    agentMessage: (answer: string) => answer,
  })
  async reply(question: string, _conversationId: string): Promise<string> {
    return `You asked: ${question}`;
  }
}

const assistant = new Assistant();

export async function POST(request: Request): Promise<Response> {
  const { message, conversationId } = (await request.json()) as { message: string; conversationId: string };
  const answer = await assistant.reply(message, conversationId);
  // After the response, before the platform may freeze the function: deliver this turn.
  after(() => flushAgentSight({ timeoutMillis: 5_000 }));
  return Response.json({ answer });
}
