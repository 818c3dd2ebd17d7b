import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { build } from 'esbuild';
import { ROOT, runNode } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

describe('an application bundled with esbuild', function () {
  this.timeout(60_000);
  const receiver = useReceiver();
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentsight-bundle-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('still delivers from the delivery thread: its code is inlined, there is no file to lose', async () => {
    // The quick start, bundled whole (the SDK, this library, undici) into one file, outside the
    // project, so nothing can be resolved from node_modules at run time.
    const outfile = join(dir, 'app.js');
    await build({
      entryPoints: [resolve(ROOT, 'build/examples/quickstart/app.js')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'silent',
    });
    const app = runNode(outfile, [], {
      AGENTSIGHT_API_KEY: TEST_API_KEY,
      AGENTSIGHT_API_ENDPOINT: receiver().url,
      AGENTSIGHT_LOG_LEVEL: 'warning',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
    expect(await app.exited(), app.output()).to.equal(0);
    expect(app.output()).to.not.contain('delivery thread is unavailable');
    expect(
      receiver()
        .store.recordsOf('conv_quickstart01')
        .map((r) => r.kind),
    ).to.deep.equal(['conversation', 'message', 'action', 'message']);
  });
});
