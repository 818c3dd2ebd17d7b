import { expect } from 'chai';
import { runNode } from './processes';

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
