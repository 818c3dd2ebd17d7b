// Next.js runs register() once per server instance and runtime. The Node.js side sets up
// OpenTelemetry with @vercel/otel and AgentSight's processor; the mask set here applies to every
// route, whatever copy of the package its bundle holds. The Vercel AI SDK makes spans only once
// its OpenTelemetry integration is registered, after the tracer provider.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { registerOTel } = await import('@vercel/otel');
    const { AgentSightSpanProcessor, configureAgentSight, maskPersonalData } = await import('agentsight-otel');
    configureAgentSight({ mask: maskPersonalData });
    registerOTel({ serviceName: 'nextjs-chat', spanProcessors: [new AgentSightSpanProcessor()] });
    const { registerTelemetry } = await import('ai');
    const { OpenTelemetry } = await import('@ai-sdk/otel');
    registerTelemetry(new OpenTelemetry({ runtimeContext: true }));
  }
}
