import { NodeSDK } from '@opentelemetry/sdk-node';
import { AgentSightSpanProcessor, TrackAction, TrackConversation } from 'agentsight-otel';

// Reads AGENTSIGHT_API_KEY (and AGENTSIGHT_API_ENDPOINT, AGENTSIGHT_ENVIRONMENT) from the environment.
const sdk = new NodeSDK({ spanProcessors: [new AgentSightSpanProcessor()] });
sdk.start();

class Calculator {
  @TrackAction({ name: 'calculator', toolsUsed: { tool: 'calculator' } })
  multiply(a: number, b: number): number {
    return a * b;
  }
}

class Assistant {
  private readonly calculator = new Calculator();

  @TrackConversation({
    name: 'Quick start',
    conversationId: (conversationId: string) => conversationId,
    humanMessage: (_conversationId: string, message: string) => message,
  })
  async chat(_conversationId: string, _message: string): Promise<string> {
    // A real assistant asks its LLM here; the conversation, message and tool call are tracked either way.
    return `127 × 8 = ${this.calculator.multiply(127, 8)}`;
  }
}

async function main(): Promise<void> {
  console.log(await new Assistant().chat('conv_quickstart01', 'What is 127 multiplied by 8?'));
  // Flush before exit; a failed last export rejects here, and never reaches the app.
  await sdk.shutdown().catch((error) => console.error('AgentSight export failed:', error));
}

main();
