import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { ROOT, runNode } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');

describe('README', () => {
  const receiver = useReceiver();

  it('shows the quick start exactly as examples/quickstart/app.ts, which the build compiles', () => {
    const source = readFileSync(resolve(ROOT, 'examples/quickstart/app.ts'), 'utf8');
    const block = /<!-- quickstart: examples\/quickstart\/app\.ts[^>]*-->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'the quick start block').to.be.a('string');
    expect(block).to.equal(source);
  });

  it('shows the Next.js guide’s files exactly as examples/nextjs-chat, which a real next build runs', () => {
    const guide = readFileSync(resolve(ROOT, 'docs/nextjs.md'), 'utf8');
    for (const [marker, file] of [
      ['nextjs-instrumentation', 'examples/nextjs-chat/instrumentation.ts'],
      ['nextjs-route', 'examples/nextjs-chat/app/api/chat/route.ts'],
      ['nextjs-agent-route', 'examples/nextjs-chat/app/api/agent/route.ts'],
      ['nextjs-stream-route', 'examples/nextjs-chat/app/api/stream/route.ts'],
      ['nextjs-instrumentation-nodesdk', 'examples/nextjs-chat/nodesdk/instrumentation.ts'],
    ]) {
      const block = new RegExp(`<!-- ${marker}: [^>]*-->\n\`\`\`ts\n([\\s\\S]*?)\`\`\``).exec(guide)?.[1];
      expect(block, `the ${marker} block`).to.equal(readFileSync(resolve(ROOT, file as string), 'utf8'));
    }
  });

  for (const [marker, file] of [
    ['existing-setup', 'examples/existing-setup/telemetry.ts'],
    ['existing-setup-2x', 'examples/existing-setup/telemetry-2x.ts'],
    ['zero-code', 'examples/zero-code/telemetry.ts'],
  ] as const) {
    it(`shows the ${marker} snippet exactly as ${file}, which the build compiles`, () => {
      const source = readFileSync(resolve(ROOT, file), 'utf8');
      const block = new RegExp(`<!-- ${marker}: [^>]*-->\n\`\`\`ts\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
      expect(block, `the ${marker} block`).to.be.a('string');
      expect(block).to.equal(source);
    });
  }

  it('shows the Collector configuration in docs/deployment.md exactly as collector/config.yaml, which the tests run', () => {
    const deployment = readFileSync(resolve(ROOT, 'docs/deployment.md'), 'utf8');
    const block = /<!-- collector-config: [^>]*-->\n```yaml\n([\s\S]*?)```/.exec(deployment)?.[1];
    expect(block, 'the collector-config block').to.be.a('string');
    expect(block).to.equal(readFileSync(resolve(ROOT, 'collector/config.yaml'), 'utf8'));
  });

  it('says, above every shell block of the README and the docs, how CI runs it (scripts/doc-commands.mjs)', () => {
    const result = spawnSync(process.execPath, [resolve(ROOT, 'scripts/doc-commands.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).to.equal(0);
    expect(readFileSync(resolve(ROOT, '.ci/run'), 'utf8')).to.include('node scripts/doc-commands.mjs\n');
  });

  it('gives the two set-up commands, and they exist', () => {
    expect(readme).to.contain('npm ci && npm run demo');
    expect(readme).to.contain('npm test ');
    const scripts = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')).scripts;
    expect(scripts).to.include.keys(['demo', 'test', 'bench', 'lint', 'build']);
    expect(readFileSync(resolve(ROOT, '.ci/run'), 'utf8')).to.match(/\nnpm ci\n[\s\S]*\nnpm test\n/);
  });

  it('has a quick start that tracks a conversation when run', async () => {
    const app = runNode('build/examples/quickstart/app.js', [], {
      AGENTSIGHT_API_KEY: TEST_API_KEY,
      AGENTSIGHT_API_ENDPOINT: receiver().url,
    });
    await app.waitFor(/127 × 8 = 1016/);
    const answered = Date.now();
    expect(await app.exited(), app.output()).to.equal(0);
    // Under NodeSDK's defaults (an OTLP metrics exporter to localhost:4318, nothing there), it
    // took 9 s to exit while that exporter retried our counters.
    expect(Date.now() - answered, 'ms from its last line to its exit').to.be.lessThan(1_500);
    const kinds = receiver()
      .store.recordsOf('conv_quickstart01')
      .map((r) =>
        r.kind === 'message' ? `${r.body.sender}: ${r.body.content}` : `${r.kind} ${r.body.action_name ?? ''}`.trim(),
      );
    expect(kinds).to.deep.equal([
      'conversation',
      'end_user: What is 127 multiplied by 8?',
      'action calculator',
      'agent: 127 × 8 = 1016',
    ]);
  });

  it('has curl examples that get the answers it shows', async () => {
    const lines = readme.split('\n');
    const headers: Record<string, string> = {};
    const key = /K="Authorization: Api-Key (\S+)"/.exec(readme)?.[1];
    expect(key).to.equal(TEST_API_KEY);
    let checked = 0;
    for (const [index, line] of lines.entries()) {
      if (!line.startsWith('curl -s ')) continue;
      const url = /curl -s "?localhost:8787([^" ]+)"?/.exec(line)?.[1] as string;
      const body = / -d '(.*)'$/.exec(line)?.[1];
      for (const header of line.matchAll(/-H "\$(K|J)"/g)) {
        if (header[1] === 'K') headers.authorization = `Api-Key ${key}`;
        if (header[1] === 'J') headers['content-type'] = 'application/json';
      }
      const response = await fetch(`${receiver().url}${url}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: Object.fromEntries(
          Object.entries(headers).filter(([name]) => line.includes(name === 'authorization' ? '$K' : '$J')),
        ),
        body,
      });
      const text = await response.text();
      const shown = lines[index + 1]?.startsWith('# ') ? lines[index + 1]?.slice(2) : undefined;
      if (shown === undefined) continue;
      if (shown.includes('...')) {
        // An abridged answer: every field it names is in the real one.
        for (const field of shown.match(/"(\w+)":\[/g) ?? []) expect(text, line).to.contain(field);
      } else {
        expect(JSON.parse(text), line).to.deep.equal(JSON.parse(shown));
      }
      checked += 1;
    }
    expect(checked).to.be.greaterThanOrEqual(6);
  });
});
