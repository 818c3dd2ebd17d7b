import { flushAgentSight, trackConversation } from 'agentsight-otel';
import { after } from 'next/server';

/** A streamed answer: the turn returns a stream, and its record is what the client received, when it ends. */
export async function POST(request: Request): Promise<Response> {
  const { message, conversationId } = (await request.json()) as { message: string; conversationId: string };
  const stream = trackConversation({ conversationId, humanMessage: message }, () => {
    const words = `You asked: ${message}`.split(' ');
    return new ReadableStream<string>({
      pull(controller) {
        const word = words.shift();
        if (word === undefined) controller.close();
        else controller.enqueue(words.length > 0 ? `${word} ` : word);
      },
    }).pipeThrough(new TextEncoderStream());
  });
  // Runs once the response, stream included, is finished.
  after(() => flushAgentSight({ timeoutMillis: 5_000 }));
  return new Response(stream, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
