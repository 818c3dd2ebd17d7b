import { trace } from '@opentelemetry/api';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AgentSightLogRecordProcessor, AgentSightSpanProcessor } from 'agentsight-otel';

const sdk = new NodeSDK({
  spanProcessors: [new AgentSightSpanProcessor()],
  // For instrumentations that send the messages as events (log records), as the OpenAI one does.
  logRecordProcessors: [new AgentSightLogRecordProcessor()],
  // Message content is the instrumentation's opt-in (or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true).
  instrumentations: [new OpenAIInstrumentation({ captureMessageContent: true })],
});
sdk.start();

/** Runs one chat turn in a span that names its conversation: the LLM calls inside join it. */
export function inConversation<T>(conversationId: string, turn: () => Promise<T>): Promise<T> {
  const attributes = { 'gen_ai.conversation.id': conversationId };
  return trace.getTracer('chat-service').startActiveSpan('chat turn', { attributes }, async (span) => {
    try {
      return await turn();
    } finally {
      span.end();
    }
  });
}
