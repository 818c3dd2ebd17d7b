import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { runNode } from '../helpers/processes';
import { conversationBody, post, TEST_API_KEY } from '../helpers/receiver';

/**
 * The receiver as a separate process (its memory is what is measured): an upload is kept whole
 * or refused whole, and its files go to disk. Before: 50 of 60 files kept without a word, and
 * every upload held in memory (5 × 60 MB: 468 MB, growing).
 */
describe('reliability: the receiver keeps an upload whole, on disk, or refuses it', function () {
  this.timeout(120_000);
  let receiver: ReturnType<typeof runNode>;
  let url = '';
  let pk = 0;
  const rssMb = () => {
    const status = readFileSync(`/proc/${receiver.child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]) / 1024;
  };
  const server = () => ({ url }) as Parameters<typeof post>[0];

  before(async () => {
    receiver = runNode('dist/cjs/cli.js', ['dev-server', '--port', '0', '--quiet']);
    url = (await receiver.waitFor(/listening on (http:\/\/\S+)/))[1] as string;
    const created = await post(server(), '/api/conversations/', conversationBody('uploads'));
    pk = created.body.id;
  });
  after(() => receiver.stop());

  function form(files: number, size: number): FormData {
    const body = new FormData();
    body.append('timestamp', '2026-11-28T10:00:00.000000+00:00');
    body.append('conversation', String(pk));
    body.append('sender', 'end_user');
    body.append('mode', 'form_data');
    body.append('metadata', '{}');
    const bytes = new Blob([new Uint8Array(size)], { type: 'application/octet-stream' });
    for (let i = 0; i < files; i++) body.append(`attachment_${i}`, bytes, `file-${i}.bin`);
    return body;
  }

  const upload = async (body: FormData) => {
    const response = await fetch(`${url}/api/attachments/`, {
      method: 'POST',
      headers: { authorization: `Api-Key ${TEST_API_KEY}` },
      body,
    });
    return { status: response.status, body: (await response.json()) as { detail?: string; id: number } };
  };

  const attachmentsStored = async () => {
    const response = await fetch(`${url}/api/conversations/${pk}/`, {
      headers: { authorization: `Api-Key ${TEST_API_KEY}` },
    });
    const conversation = (await response.json()) as { messages: unknown[] };
    return conversation.messages.length;
  };

  it('refuses 60 files in one upload with 413, keeping none of them', async () => {
    const before = await attachmentsStored();
    const answer = await upload(form(60, 10));
    expect(answer.status).to.equal(413);
    expect(answer.body.detail).to.match(/More than 50 files/);
    expect(await attachmentsStored()).to.equal(before);
  });

  it('refuses an upload with one file over the limit, keeping none of its files', async () => {
    const body = form(2, 10);
    body.append('attachment_2', new Blob([new Uint8Array(65 * 1024 * 1024)]), 'huge.bin');
    const answer = await upload(body);
    expect(answer.status).to.equal(413);
    expect(answer.body.detail).to.match(/larger than/);
  });

  it('spools five 60 MB uploads to disk: its memory stays within +100 MB, and each file is served whole', async () => {
    const baseline = rssMb();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb());
    }, 20);
    const ids: number[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        const answer = await upload(form(1, 60 * 1024 * 1024));
        expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
        ids.push(answer.body.id);
      }
    } finally {
      clearInterval(sampler);
    }
    expect(peak - baseline, 'MB above the receiver at rest').to.be.lessThan(100);
    const served = await fetch(`${url}/files/${ids[4]}/0`);
    expect(served.status).to.equal(200);
    expect((await served.arrayBuffer()).byteLength).to.equal(60 * 1024 * 1024);
  });
});
