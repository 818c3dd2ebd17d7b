import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../helpers/processes';

describe('the package', () => {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8'));

  it('reports the version of package.json as its instrumentation scope version', () => {
    const { AGENTSIGHT_OTEL_VERSION } = require('#internal/version') as { AGENTSIGHT_OTEL_VERSION: string };
    expect(AGENTSIGHT_OTEL_VERSION).to.equal(pkg.version);
  });

  it('serves require and import from one copy of the code', async () => {
    const required = require('agentsight-otel') as Record<string, unknown>;
    const imported = (await import('agentsight-otel')) as Record<string, unknown>;
    for (const name of ['TrackAction', 'TrackConversation', 'AgentSightSpanExporter', 'AgentSightSpanProcessor']) {
      expect(imported[name], name).to.equal(required[name]);
    }
    const semconv = (await import('agentsight-otel/semconv')) as Record<string, unknown>;
    expect(semconv.ATTR_AGENTSIGHT_CONVERSATION_ID).to.equal('agentsight.conversation.id');
    const devServer = (await import('agentsight-otel/dev-server')) as Record<string, unknown>;
    expect(devServer.startDevServer).to.be.a('function');
  });

  it('installs no OTLP decoder or multipart parser in an app that only exports spans: optional peers of the bridge and the receiver', () => {
    for (const parser of ['protobufjs', 'busboy', '@grpc/grpc-js']) {
      expect(Object.keys(pkg.dependencies), parser).to.not.include(parser);
      expect(pkg.peerDependenciesMeta[parser], parser).to.deep.equal({ optional: true });
    }
    // Nothing an exporting app loads reaches them: only the bridge's (the receiver's) modules name them.
    for (const [parser, room] of [
      ['protobufjs', 'bridge/'],
      ['busboy', 'devserver/'],
    ] as const) {
      const naming = execFileSync('grep', ['-rl', parser, resolve(ROOT, 'dist/cjs')], { encoding: 'utf8' })
        .split('\n')
        .filter((file) => file.endsWith('.js'))
        .map((file) => file.slice(resolve(ROOT, 'dist/cjs').length + 1));
      expect(naming.length, parser).to.be.greaterThan(0);
      expect(
        naming.every((file) => file.startsWith(room)),
        naming.join(', '),
      ).to.equal(true);
    }
  });

  it('ships only what users need', function () {
    this.timeout(30_000);
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }),
    );
    const files: string[] = packed.files.map((f: { path: string }) => f.path);
    for (const needed of [
      'package.json',
      'README.md',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'dist/esm/index.mjs',
      'dist/esm/index.d.mts',
      'dist/cjs/delivery/delivery-worker.js',
      'dist/cjs/cli.js',
    ]) {
      expect(files, needed).to.include(needed);
    }
    const unwanted = files.filter((f) => /^(src|test|build|examples|bench|scripts|\.ci)\/|\.map$/.test(f));
    expect(unwanted).to.deep.equal([]);
  });
});
