// The same set-up with OpenTelemetry's NodeSDK instead of @vercel/otel (npm install
// @opentelemetry/sdk-node@0.223 next to @ai-sdk/otel): AgentSight's processor in `spanProcessors`.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { NodeSDK } = await import('@opentelemetry/sdk-node');
    const { AgentSightSpanProcessor, configureAgentSight, maskPersonalData } = await import('agentsight-otel');
    configureAgentSight({ mask: maskPersonalData });
    new NodeSDK({ serviceName: 'nextjs-chat', spanProcessors: [new AgentSightSpanProcessor()] }).start();
  }
}
