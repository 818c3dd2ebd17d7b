import { expect } from 'chai';
import { type RunningProcess, runNode } from './processes';
import { TEST_API_KEY } from './receiver';

/** A running example server and the URL it printed. */
export interface ExampleServer {
  readonly server: RunningProcess;
  readonly url: string;
}

/**
 * Mocha hooks: runs an example server (a child process) on a free port, delivering to the local
 * receiver at `receiverUrl()` with spans exported every 100 ms, from `before` until `after`; its
 * start line must match `listening`, whose first group is its URL.
 */
export function useExampleServer(script: string, listening: RegExp, receiverUrl: () => string): () => ExampleServer {
  let started: ExampleServer | undefined;
  before(async () => {
    const server = runNode(script, [], {
      PORT: '0',
      AGENTSIGHT_API_KEY: TEST_API_KEY,
      AGENTSIGHT_API_ENDPOINT: receiverUrl(),
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    started = { server, url: (await server.waitFor(listening))[1] as string };
  });
  after(async () => {
    await started?.server.stop();
  });
  return () => {
    if (started === undefined) throw new Error(`${script} is not running`);
    return started;
  };
}

/**
 * Runs the example chat server (a child process) with `env`, sends it one `POST /chat`, and stops
 * it with SIGTERM, which flushes its telemetry; fails unless the turn answered 200 and the server
 * exited 0.
 */
export async function chatOnce(env: Record<string, string>, body: object): Promise<void> {
  const server = runNode('build/examples/chat-server/main.js', [], { PORT: '0', ...env });
  try {
    const url = (await server.waitFor(/chat server listening on (http:\/\/\S+)/))[1];
    const response = await fetch(`${url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).to.equal(200);
    expect(await server.stop()).to.equal(0);
  } finally {
    await server.stop();
  }
}
