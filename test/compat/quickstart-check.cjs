// Runs the README's quick start, copied verbatim into a new project and compiled with the
// README's tsconfig (scripts/compat-matrix.sh), against a local receiver, under NodeSDK's own
// defaults (no OTEL_* variables): it must print its answer, deliver the turn, and exit within
// 1 s of its last line.
'use strict';

const { spawn } = require('node:child_process');
const { startDevServer } = require('agentsight-otel/dev-server');

const KEY = 'ags_00000000000000000000000000000000_000000';
const label = process.argv[2] || 'quickstart';

function fail(message) {
  console.error(`quick start ${label}: FAILED: ${message}`);
  process.exit(1);
}

async function main() {
  const receiver = await startDevServer();
  const env = { ...process.env, AGENTSIGHT_API_ENDPOINT: receiver.url, AGENTSIGHT_API_KEY: KEY };
  for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];
  const app = spawn(process.execPath, ['app.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let lastLineAt = 0;
  app.stdout.on('data', (chunk) => {
    output += chunk;
    lastLineAt = Date.now();
  });
  app.stderr.on('data', (chunk) => {
    output += chunk;
  });
  const code = await new Promise((resolve) => app.on('exit', resolve));
  const lingered = Date.now() - lastLineAt;
  await receiver.close();
  if (code !== 0) fail(`exit code ${code}:\n${output}`);
  if (!output.includes('127 × 8 = 1016')) fail(`no answer printed:\n${output}`);
  if (lingered > 1_000) fail(`exited ${lingered} ms after its last line (at most 1,000)`);
  const records = receiver.store.recordsOf('conv_quickstart01').map((r) => r.kind);
  if (records.join(',') !== 'conversation,message,action,message') fail(`received ${records.join(', ')}`);
  console.log(`quick start ${label}: delivered, exited ${lingered} ms after its last line`);
}

main().catch((error) => fail(error.stack));
