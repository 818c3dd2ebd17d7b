import { context, propagation, trace } from '@opentelemetry/api';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

/** A real NodeSDK, started, with resource detection off (it only adds noise and time here). */
export function startSdk(config: Partial<NodeSDKConfiguration>): NodeSDK {
  // Traces only: NodeSDK would otherwise send metrics and logs to a default OTLP endpoint.
  const sdk = new NodeSDK({ autoDetectResources: false, metricReaders: [], logRecordProcessors: [], ...config });
  sdk.start();
  return sdk;
}

/**
 * Shuts the SDK down the way the README tells users to (a failed final export rejects, and is
 * only reported), then unregisters the globals so the next test can start its own SDK.
 */
export async function stopSdk(sdk: NodeSDK | undefined): Promise<void> {
  await sdk?.shutdown().catch(() => undefined);
  trace.disable();
  context.disable();
  propagation.disable();
}
