import { expect } from 'chai';
import { runNode } from '../helpers/processes';

async function cli(args: string[], env: Record<string, string> = {}) {
  const child = runNode('dist/cjs/cli.js', args, env);
  const code = await child.exited();
  return { code, output: child.output() };
}

describe('the command line says what it means', () => {
  it('prints its version with --version and -v', async () => {
    const version = (await import('agentsight-otel/package.json', { with: { type: 'json' } })).default.version;
    for (const flag of ['--version', '-v']) {
      const { code, output } = await cli([flag]);
      expect(code).to.equal(0);
      expect(output.trim()).to.equal(`agentsight-otel ${version}`);
    }
  });

  it('names an unknown command and exits 2, instead of printing the usage alone', async () => {
    const { code, output } = await cli(['serve']);
    expect(code).to.equal(2);
    expect(output).to.match(/^agentsight-otel: unknown command "serve"/);
    expect(output).to.include('dev-server');
  });

  it('says how to write an option value that starts with "-" (parseArgs calls it ambiguous)', async () => {
    const { code, output } = await cli(['dev-server', '--latency', '-5']);
    expect(code).to.equal(2);
    expect(output).to.include('written --option=value');
    const written = await cli(['dev-server', '--latency=-5']);
    expect(written.code).to.equal(1);
    expect(written.output).to.include('--latency must be a number of ms (got -5)');
  });

  it('speaks of the environment, not of library options, when the bridge has no key', async () => {
    const { code, output } = await cli(['bridge', '--port', '0'], {
      AGENTSIGHT_API_KEY: '',
      AGENTSIGHT_BRIDGE_TOKEN: 'a-token-of-16-characters',
    });
    expect(code).to.equal(1);
    expect(output).to.include('AGENTSIGHT_API_KEY is not set: set it in the environment');
    expect(output).to.not.include('{ apiKey }');
  });

  it('shows a host:port endpoint (no secret in it) with the fix, in the bridge as in the library', async () => {
    const { output } = await cli(['bridge', '--port', '0'], {
      AGENTSIGHT_API_KEY: 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3',
      AGENTSIGHT_API_ENDPOINT: '127.0.0.1:8787',
      AGENTSIGHT_BRIDGE_TOKEN: 'a-token-of-16-characters',
    });
    expect(output).to.include(
      'AGENTSIGHT_API_ENDPOINT is "127.0.0.1:8787", which has no scheme: use http://127.0.0.1:8787 (or https://)',
    );
  });
});
