/**
 * Child script for the delivery-thread test: makes one span, exports it with a fresh exporter and
 * ends without calling shutdown. Arguments: receiver URL, API key.
 */
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { AgentSightSpanExporter, trackConversation, trackHumanMessage } from 'agentsight-otel';

const [endpoint, apiKey] = process.argv.slice(2);
const memory = new InMemorySpanExporter();
new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] }).register();
trackConversation({ conversationId: 'export-and-end' }, () => trackHumanMessage('bye'));
new AgentSightSpanExporter({ apiKey, endpoint }).export(memory.getFinishedSpans(), (result) => {
  if (result.code !== 0) process.exitCode = 1;
});
