import { expect } from 'chai';
import { runNode } from '../helpers/processes';
import { useReceiver } from '../helpers/receiver';

describe('reliability: attachment files are read within bounds when sent', function () {
  this.timeout(60_000);
  const receiver = useReceiver();

  for (const mode of ['thread', 'main'] as const) {
    it(`refuses a FIFO, a symlink to /dev/zero and a file grown to 200 MB, counted, with shutdown on time (${mode})`, async () => {
      const started = Date.now();
      const child = runNode('build/test/fixtures/reliability-app.js', ['attachment-swaps', mode], {
        AGENTSIGHT_API_ENDPOINT: receiver().url,
        AGENTSIGHT_LOG_LEVEL: 'NONE',
      });
      const exitCode = await child.exited();
      const exitedAfter = Date.now() - started;
      const output = child.output();
      expect(exitCode, output).to.equal(0);
      const result = JSON.parse((/^result (.*)$/m.exec(output) as RegExpExecArray)[1] as string);
      // Before: the FIFO held a thread-pool thread (shutdown > 20 s, exit hung until SIGKILL), the
      // symlink took 5.4 GB, and the grown file was read whole (469 MB) before its size was checked.
      expect(result.stats.dropped.attachment_unavailable, output).to.equal(3);
      expect(result.stats.delivered, 'the three messages still go').to.equal(3);
      expect(result.shutdownMillis).to.be.lessThan(3_500);
      expect(exitedAfter).to.be.lessThan(15_000);
      expect(result.grownMb).to.be.lessThan(100);
      const messages = receiver().store.records.filter((r) => r.kind === 'message');
      expect(messages).to.have.length(3);
      expect(receiver().store.records.filter((r) => r.kind === 'attachments')).to.have.length(0);
    });
  }
});

describe('reliability: a burst of attachments over the budget costs what fits, not what is refused', () => {
  it('10 messages × 10 files of 25 MiB: 98 refused before they are copied or hashed', async () => {
    const { recordAttachments, takeAttachment, pendingAttachmentBytes } = await import('#internal/attachments/index');
    const file = Buffer.alloc(25 * 1024 * 1024, 7);
    const ids: string[] = [];
    const rssBefore = process.memoryUsage.rss();
    const cpuBefore = process.cpuUsage();
    let overBudget = 0;
    try {
      for (let message = 0; message < 10; message++) {
        const { descriptors } = recordAttachments(Array.from({ length: 10 }, () => ({ data: file })));
        for (const d of descriptors) {
          if (d.dropped === 'over_budget') overBudget += 1;
          if (d.id !== undefined) ids.push(d.id);
        }
      }
      const cpu = process.cpuUsage(cpuBefore);
      const grownMb = (process.memoryUsage.rss() - rssBefore) / 1024 / 1024;
      // The 64 MiB budget holds two; before, each of the 98 refused was copied and hashed first
      // (+496 MB RSS, 2.9 s of the app's thread).
      expect(overBudget).to.equal(98);
      expect(ids).to.have.length(2);
      expect((cpu.user + cpu.system) / 1000, 'ms of CPU').to.be.lessThan(1_000);
      expect(grownMb).to.be.lessThan(100);
    } finally {
      for (const id of ids) takeAttachment(id);
    }
    expect(pendingAttachmentBytes().used).to.equal(0);
  });
});
