import { parseArgs } from 'node:util';
import { startBridge } from './bridge';

const USAGE = `Usage: agentsight-otel bridge [options]

An OTLP receiver (HTTP POST /v1/traces and /v1/logs, protobuf or JSON, gzip; optionally gRPC) that
sends the conversations in the spans (and GenAI events) it receives to AgentSight: point an
OpenTelemetry Collector's exporter at it.

Environment:
  AGENTSIGHT_BRIDGE_TOKEN   bearer token senders must present (required, 16+ characters)
  AGENTSIGHT_API_KEY        the AgentSight key (required)
  AGENTSIGHT_API_ENDPOINT   the AgentSight API (default https://api.agentsight.io)
  AGENTSIGHT_ENVIRONMENT    production or development (default development)

Options:
  --port <n>                port (default $AGENTSIGHT_BRIDGE_PORT or 4319; 0 picks one)
  --host <address>          interface to bind (default 127.0.0.1; 0.0.0.0 in a container)
  --grpc-port <n>           also take OTLP/gRPC on this port (default $AGENTSIGHT_BRIDGE_GRPC_PORT,
                            else off; needs @grpc/grpc-js installed)
  --answer-within <ms>      how long a request waits for delivery before 503 (default 10000)
  -h, --help                show this help

Health: GET /healthz (503 while shutting down). SIGTERM/SIGINT: graceful shutdown.
`;

/** `agentsight-otel bridge`: runs until SIGTERM or SIGINT, then shuts down gracefully. */
export async function bridgeCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'grpc-port': { type: 'string' },
      'answer-within': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const portOption = (name: 'port' | 'grpc-port') => {
    const value = values[name];
    const port = value === undefined ? undefined : Number(value);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      throw new Error(`--${name} must be 0-65535 (got ${value})`);
    }
    return port;
  };
  const answerWithin = values['answer-within'] === undefined ? undefined : Number(values['answer-within']);
  if (answerWithin !== undefined && !(Number.isFinite(answerWithin) && answerWithin > 0)) {
    throw new Error(`--answer-within must be a number of ms (got ${values['answer-within']})`);
  }
  const bridge = await startBridge({
    port: portOption('port'),
    grpcPort: portOption('grpc-port'),
    host: values.host,
    answerWithinMillis: answerWithin,
    onWarning: (message) => process.stderr.write(`agentsight-otel bridge: ${message}\n`),
  });
  process.stdout.write(`agentsight-otel bridge listening on ${bridge.url}/v1/traces\n`);
  if (bridge.grpcPort !== undefined) {
    process.stdout.write(`agentsight-otel bridge: OTLP/gRPC on port ${bridge.grpcPort}\n`);
  }
  const stop = () => {
    process.stdout.write('agentsight-otel bridge: shutting down\n');
    bridge.close().then(() => {
      const { delivered, requests } = bridge.stats();
      process.stdout.write(
        `agentsight-otel bridge: stopped; ${delivered} items delivered, ${requests.accepted} requests accepted, ${requests.retryLater} told to retry\n`,
      );
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
