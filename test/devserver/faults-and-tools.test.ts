import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from 'agentsight-otel/dev-server';
import { expect } from 'chai';
import { conversationBody, post, TEST_API_KEY, useReceiver } from '../helpers/receiver';

const T = '2026-02-08T13:36:01.000000+00:00';

/** POSTs with node:http so that a cut connection shows as an error code, not a generic fetch failure. */
function rawPost(url: string, body: unknown): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}/api/conversations/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Api-Key ${TEST_API_KEY}` },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(JSON.stringify(body));
  });
}

describe('local receiver: fault scripts', () => {
  const server = useReceiver();

  it('answers scripted statuses with Retry-After, storing nothing, then behaves normally', async () => {
    server().faults.script({ status: 503 }, { status: 429, retryAfter: 2 });
    const first = await post(server(), '/api/conversations/', conversationBody('f'));
    const second = await post(server(), '/api/conversations/', conversationBody('f'));
    const third = await post(server(), '/api/conversations/', conversationBody('f'));
    expect([first.status, second.status, third.status]).to.deep.equal([503, 429, 201]);
    expect(second.headers.get('retry-after')).to.equal('2');
    expect(server().store.conversation('f')?.createCalls).to.equal(1);
    expect(server().faults.remaining).to.equal(0);
  });

  it('applies a fault only to the path it names', async () => {
    server().faults.script({ path: '/api/track/', status: 500 });
    const created = await post(server(), '/api/conversations/', conversationBody('p'));
    expect(created.status).to.equal(201);
    const message = {
      timestamp: T,
      content: 'x',
      sender: 'end_user',
      conversation_id: 'p',
      metadata: {},
      conversation: created.body.id,
    };
    expect((await post(server(), '/api/track/', message)).status).to.equal(500);
    expect((await post(server(), '/api/track/', message)).status).to.equal(201);
  });

  it('delays the answer but stores the item (a slow server)', async () => {
    server().faults.script({ delayMs: 300 });
    const started = Date.now();
    const reply = await post(server(), '/api/conversations/', conversationBody('slow'));
    expect(Date.now() - started).to.be.greaterThanOrEqual(280);
    expect(reply.status).to.equal(201);
    expect(server().store.conversation('slow')).to.not.equal(undefined);
  });

  it('cuts the connection before or after storing', async () => {
    server().faults.script({ reset: true }, { reset: true, afterProcessing: true });
    expect(await rawPost(server().url, conversationBody('before'))).to.deep.equal({ error: 'ECONNRESET' });
    expect(server().store.conversation('before')).to.equal(undefined);
    expect(await rawPost(server().url, conversationBody('after'))).to.deep.equal({ error: 'ECONNRESET' });
    expect(server().store.conversation('after')).to.not.equal(undefined);
  });

  it('refuses a fault that says nothing', () => {
    expect(() => server().faults.script({})).to.throw(TypeError, /needs a status, a reset or a delayMs/);
    expect(() => server().faults.script({ status: 42 })).to.throw(TypeError, /HTTP status code/);
  });
});

describe('local receiver: records file and CLI', () => {
  it('appends every accepted record to the --out file as JSON lines', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'agentsight-')), 'records.jsonl');
    const server = await startDevServer({ out });
    try {
      await post(server, '/api/conversations/', conversationBody('file'));
      await post(server, '/api/conversations/', conversationBody('file'));
      await post(server, '/api/conversations/', conversationBody(''));
    } finally {
      await server.close();
    }
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ kind: 'conversation', conversationId: 'file', seq: 1 });
  });

  it('`agentsight-otel dev-server` starts, takes data and prints the transcript', async function () {
    this.timeout(20_000);
    const cli = require.resolve('agentsight-otel/package.json').replace(/package\.json$/, 'dist/cjs/cli.js');
    const child: ChildProcess = spawn(process.execPath, [cli, 'dev-server', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 100 && !pattern.test(output); i++) await new Promise((r) => setTimeout(r, 100));
      expect(output).to.match(pattern);
    };
    try {
      await waitFor(/listening on (http:\/\/\S+)/);
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1] as string;
      const fake = { url } as Parameters<typeof post>[0];
      const created = await post(fake, '/api/conversations/', conversationBody('cli-conv', { customer_id: 'u-9' }));
      await post(fake, '/api/track/', {
        timestamp: T,
        content: 'Hello from curl',
        sender: 'end_user',
        conversation_id: 'cli-conv',
        metadata: {},
        conversation: created.body.id,
      });
      await waitFor(/user\s+Hello from curl/);
      expect(output).to.contain('conversation cli-conv (#1) · customer u-9');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
