import { parseArgs } from 'node:util';
import { BUSBOY_MISSING, loadBusboy } from './multipart';
import { startDevServer } from './server';
import type { StoredRecord } from './store';
import { renderTranscript } from './transcript';

/** Help text of the dev-server command. */
export const DEV_SERVER_USAGE = `Usage: agentsight-otel dev-server [options]

A local AgentSight API receiver: checks what the exporter sends against the API contract,
stores it, and prints each conversation as a transcript.

Options:
  --port <n>          port to listen on (default $AGENTSIGHT_DEV_SERVER_PORT or 8787; 0 picks one)
  --host <address>    interface to bind (default 127.0.0.1)
  --api-key <key>     accept only this key (default: any key of the form ags_<32 hex>_<6 hex>)
  --out <file>        append every accepted record to <file> as JSON lines
  --allow-unlinked    accept items with "conversation": null, as the Python SDK sends
  --latency <ms>      answer every request this long after it arrived (a slow API; default 0)
  --jaeger-url <url>  where the page's trace links go (default $AGENTSIGHT_JAEGER_URL or
                      http://localhost:16686)
  --ignore-idempotency-key
                      store every request as new, as the contract's API does (no replays)
  --quiet             do not print transcripts
  -h, --help          show this help
`;

/** Quiet time after which a conversation's new lines are printed. */
const PRINT_AFTER_MS = 400;

/** `agentsight-otel dev-server`: runs the receiver until SIGINT, SIGTERM or SIGHUP. */
export async function devServerCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      out: { type: 'string' },
      'allow-unlinked': { type: 'boolean' },
      latency: { type: 'string' },
      'ignore-idempotency-key': { type: 'boolean' },
      'jaeger-url': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(DEV_SERVER_USAGE);
    return;
  }
  const port = Number(values.port ?? process.env.AGENTSIGHT_DEV_SERVER_PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0-65535 (got ${values.port})`);
  const latencyMs = Number(values.latency ?? 0);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new Error(`--latency must be a number of ms (got ${values.latency})`);
  const server = await startDevServer({
    port,
    host: values.host,
    apiKey: values['api-key'],
    out: values.out,
    allowUnlinked: values['allow-unlinked'],
    latencyMs,
    ignoreIdempotencyKey: values['ignore-idempotency-key'],
    jaegerUrl: values['jaeger-url'],
  });
  const exampleKey = values['api-key'] ?? `ags_${'0'.repeat(32)}_${'0'.repeat(6)}`;
  process.stdout.write(
    `AgentSight dev server listening on ${server.url}\n` +
      `  send to it:    AGENTSIGHT_API_ENDPOINT=${server.url} AGENTSIGHT_API_KEY=${exampleKey}\n` +
      `  transcripts:   ${server.url}/\n${values.out ? `  records:       ${values.out}\n` : ''}` +
      (loadBusboy() === undefined ? `  note:          ${BUSBOY_MISSING}\n` : ''),
  );

  if (!values.quiet) {
    const printed = new Map<string, number>();
    const timers = new Map<string, NodeJS.Timeout>();
    const print = (conversationId: string) => {
      timers.delete(conversationId);
      const conversation = server.store.conversation(conversationId);
      const records = server.store.recordsOf(conversationId);
      const from = printed.get(conversationId) ?? 0;
      if (!conversation || records.length <= from) return;
      printed.set(conversationId, records.length);
      process.stdout.write(`\n${renderTranscript(conversation, records.slice(from))}\n`);
    };
    server.store.onRecord((record: StoredRecord) => {
      clearTimeout(timers.get(record.conversationId));
      timers.set(
        record.conversationId,
        setTimeout(() => print(record.conversationId), PRINT_AFTER_MS),
      );
    });
  }

  const stop = () => {
    server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // A closed terminal: the spool goes with the server (a SIGKILL's is removed at the next start).
  process.once('SIGHUP', stop);
}
