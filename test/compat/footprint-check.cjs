// What an app that only exports spans installs (scripts/compat-matrix.sh runs this in the quick
// start's project, made as the README says): not the receiver's multipart parser, and a receiver
// that says what to install when a multipart upload comes without it.
'use strict';

const { existsSync } = require('node:fs');
const { startDevServer } = require('agentsight-otel/dev-server');

function fail(message) {
  console.error(`footprint: FAILED: ${message}`);
  process.exit(1);
}

async function main() {
  // protobufjs and grpc-js may be there: OpenTelemetry's OTLP exporters bring them, we do not.
  if (existsSync('node_modules/busboy')) fail('busboy was installed with agentsight-otel');
  const receiver = await startDevServer();
  const form = new FormData();
  form.append('conversation', '1');
  form.append('attachment_0', new Blob([new Uint8Array(300 * 1024)]), 'big.bin');
  const answer = await fetch(`${receiver.url}/api/attachments/`, {
    method: 'POST',
    headers: { authorization: `Api-Key ags_${'0'.repeat(32)}_${'0'.repeat(6)}` },
    body: form,
  });
  const text = await answer.text();
  await receiver.close();
  if (answer.status !== 415 || !text.includes('npm install busboy')) fail(`answered ${answer.status} ${text}`);
  console.log('footprint: no busboy installed; a multipart upload is told to install it (415)');
}

main().catch((error) => fail(error.stack));
