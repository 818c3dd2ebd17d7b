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

/**
 * The spool's life (issue 30): it went with SIGINT and SIGTERM only. A closed terminal (SIGHUP)
 * and a SIGKILL left it for good, a replayed upload was spooled again and kept, and on a full disk
 * an upload was never answered.
 */
describe('reliability: the receiver spool is removed on every exit, at the next start, and a full disk is answered', function () {
  this.timeout(60_000);
  const { mkdtempSync, readdirSync, rmSync } = require('node:fs') as typeof import('node:fs');
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const { tmpdir } = require('node:os') as typeof import('node:os');
  const { join } = require('node:path') as typeof import('node:path');
  let folder = '';
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'spool-life-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const spools = () => readdirSync(folder).filter((name) => name.startsWith('agentsight-receiver-'));
  const spooledFiles = () => spools().flatMap((name) => readdirSync(join(folder, name)));

  async function startIn(tmp: string) {
    const receiver = runNode('dist/cjs/cli.js', ['dev-server', '--port', '0', '--quiet'], { TMPDIR: tmp });
    const url = (await receiver.waitFor(/listening on (http:\/\/\S+)/))[1] as string;
    const created = await post({ url } as Parameters<typeof post>[0], '/api/conversations/', conversationBody('spool'));
    const upload = async (size: number, key?: string) => {
      const body = new FormData();
      body.append('timestamp', '2026-11-28T10:00:00.000000+00:00');
      body.append('conversation', String(created.body.id));
      body.append('sender', 'end_user');
      body.append('mode', 'form_data');
      body.append('metadata', '{}');
      body.append('attachment_0', new Blob([new Uint8Array(size)]), 'file.bin');
      const response = await fetch(`${url}/api/attachments/`, {
        method: 'POST',
        headers: { authorization: `Api-Key ${TEST_API_KEY}`, ...(key === undefined ? {} : { 'idempotency-key': key }) },
        body,
      });
      return { status: response.status, text: await response.text() };
    };
    return { receiver, upload };
  }

  it('removes its spool on SIGHUP, and a SIGKILLed one at the next start', async () => {
    const first = await startIn(folder);
    expect((await first.upload(10_000)).status).to.equal(201);
    expect(spools()).to.have.length(1);
    await first.receiver.stop('SIGHUP');
    expect(spools(), 'gone with a closed terminal').to.deep.equal([]);

    const killed = await startIn(folder);
    expect((await killed.upload(10_000)).status).to.equal(201);
    await killed.receiver.stop('SIGKILL');
    expect(spools(), 'a SIGKILL leaves it').to.have.length(1);
    const next = await startIn(folder);
    try {
      expect(spools(), 'the next receiver removes the dead one’s spool').to.deep.equal([]);
    } finally {
      await next.receiver.stop();
    }
  });

  it('keeps no file of a replayed upload', async () => {
    const { receiver, upload } = await startIn(folder);
    try {
      expect((await upload(5_000, 'upload-once')).status).to.equal(201);
      expect((await upload(5_000, 'upload-once')).status).to.equal(201);
      expect(spooledFiles(), 'one file for one upload sent twice').to.have.length(1);
    } finally {
      await receiver.stop();
    }
  });

  it('answers an upload to a full disk with 507 at once, and serves on', async function () {
    const tiny = join(folder, 'tiny');
    require('node:fs').mkdirSync(tiny);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', tiny], { stdio: 'ignore' });
    } catch {
      this.skip(); // no permission to mount a small filesystem here
    }
    const { receiver, upload } = await startIn(tiny);
    try {
      const started = Date.now();
      const full = await upload(2 * 1024 * 1024);
      expect(full.status, full.text).to.equal(507);
      expect(full.text).to.match(/disk is full/);
      expect(Date.now() - started, 'answered at once (before: never, > 165 s)').to.be.below(5_000);
      expect((await upload(1_000)).status, 'and the next small upload is stored').to.equal(201);
    } finally {
      await receiver.stop();
      execFileSync('umount', [tiny]);
    }
  });
});
