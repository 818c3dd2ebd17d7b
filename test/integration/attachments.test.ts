import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  AgentSightDeliveryError,
  AgentSightSpanProcessor,
  configureAgentSight,
  trackAgentMessage,
  trackAttachments,
  trackConversation,
  trackHumanMessage,
} from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The files a stored upload lists. */
const filesOf = (record: { body: Record<string, unknown> } | undefined) =>
  (record?.body.attachments ?? []) as { filename: string; mime_type: string }[];

/** A PNG signature and header followed by `size` bytes in all: sniffed as image/png. */
function pngOf(size: number): Buffer {
  const image = randomBytes(size);
  Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(image);
  return image;
}

/** Flushes, and returns what the flush rejected with (a drop makes it reject), if anything. */
async function flushed(processor: AgentSightSpanProcessor): Promise<unknown> {
  return processor.forceFlush().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('attachments through NodeSDK, the processor and the receiver', () => {
  const receiver = useReceiver({ apiKey: TEST_API_KEY });

  function start() {
    const processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: receiver().url });
    const seen = new InMemorySpanExporter();
    const sdk = startSdk({ spanProcessors: [processor, new SimpleSpanProcessor(seen)] });
    return { processor, seen, sdk };
  }

  it('sends a 10 MB image as multipart after its message, linked to it, and keeps the bytes off the spans', async () => {
    const image = pngOf(10 * 1024 * 1024);
    const note = Buffer.from('{"total": 42}');
    const { processor, seen, sdk } = start();
    try {
      trackConversation({ conversationId: 'photo' }, () => {
        trackHumanMessage('What is in this picture?', { page: 'chat' }, [{ data: image, filename: 'cat.png' }]);
        trackAgentMessage('A cat, and the total is attached.', undefined, [{ data: note, filename: 'total.json' }]);
      });
      expect(await flushed(processor)).to.equal(undefined);
      // Jaeger and every other exporter see the description, never megabytes.
      for (const span of seen.getFinishedSpans()) {
        for (const value of Object.values(span.attributes)) expect(String(value).length).to.be.below(4_000);
      }
      const human = seen.getFinishedSpans().find((s) => s.name === 'agentsight.human_message');
      expect(JSON.parse(String(human?.attributes[semconv.ATTR_AGENTSIGHT_ATTACHMENTS]))).to.deep.include.members([
        {
          id: JSON.parse(String(human?.attributes[semconv.ATTR_AGENTSIGHT_ATTACHMENTS]))[0].id,
          filename: 'cat.png',
          mime_type: 'image/png',
          size: image.length,
          sha256: sha256(image),
        },
      ]);
    } finally {
      await stopSdk(sdk);
    }
    const records = receiver().store.recordsOf('photo');
    expect(records.map((r) => r.kind)).to.deep.equal([
      'conversation',
      'message',
      'attachments',
      'message',
      'attachments',
    ]);
    const [, question, picture, answer, total] = records;
    const pk = receiver().store.conversation('photo')?.id;
    expect(picture?.body).to.deep.include({
      mode: 'form_data',
      message: question?.id,
      conversation: pk,
      sender: 'end_user',
    });
    expect(picture?.body.attachments).to.deep.equal([
      { filename: 'cat.png', mime_type: 'image/png', size_bytes: image.length, sha256: sha256(image) },
    ]);
    expect(
      receiver()
        .store.file(picture?.id as number, 0)
        ?.bytes.equals(image),
    ).to.equal(true);
    // Small files go as base64 JSON (variant B), with the conversation's real id (not "None").
    expect(total?.body).to.deep.include({
      message: answer?.id,
      conversation: pk,
      conversation_id: 'photo',
      sender: 'agent',
    });
    expect(total?.body).to.not.have.property('mode');
    expect(total?.body.attachments).to.deep.equal([
      { filename: 'total.json', mime_type: 'application/json', size_bytes: note.length, sha256: sha256(note) },
    ]);
  });

  it('drops an attachment over the pending budget, counted and logged, and still delivers its message', async () => {
    configureAgentSight({ pendingAttachmentBytes: 1024 * 1024 });
    const diag = captureDiag();
    const { processor, sdk } = start();
    let error: unknown;
    try {
      trackConversation({ conversationId: 'too-big' }, () => {
        trackHumanMessage('here is a large scan', undefined, [
          { data: pngOf(2 * 1024 * 1024), filename: 'scan.png' },
          { data: Buffer.from('small'), filename: 'fits.txt' },
        ]);
      });
      error = await flushed(processor);
      expect(processor.stats().dropped.attachment_over_budget).to.equal(1);
    } finally {
      configureAgentSight({ pendingAttachmentBytes: 64 * 1024 * 1024 });
      diag.restore();
      await stopSdk(sdk);
    }
    expect(error).to.be.instanceOf(AgentSightDeliveryError);
    expect((error as AgentSightDeliveryError).dropped).to.deep.equal({ attachment_over_budget: 1 });
    expect(diag.warnings.some((w) => w.includes('scan.png') && w.includes('pending-attachment budget'))).to.equal(true);
    const records = receiver().store.recordsOf('too-big');
    expect(records.map((r) => r.kind)).to.deep.equal(['conversation', 'message', 'attachments']);
    expect(filesOf(records[2]).map((a) => a.filename)).to.deep.equal(['fits.txt']);
  });

  it('takes a path, a Blob, base64 text and a Uint8Array; standalone files and agentMessage results', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'agentsight-attach-'));
    const report = join(folder, 'report.csv');
    writeFileSync(report, 'a,b\n1,2\n');
    const { processor, sdk } = start();
    try {
      trackConversation({ conversationId: 'inputs' }, () => {
        trackHumanMessage('four files', undefined, [
          { path: report },
          { data: new Blob(['<p>hi</p>'], { type: 'text/html' }), filename: 'page.html' },
          { data: Buffer.from('%PDF-1.7 tiny').toString('base64'), filename: 'doc.pdf' },
          { data: new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2]) },
        ]);
        trackAttachments([{ data: Buffer.from('log line'), filename: 'agent.log', mimeType: 'text/plain' }], {
          sender: 'agent',
          metadata: { step: 3 },
        });
      });
      await trackConversation(
        {
          conversationId: 'inputs',
          agentMessage: (r: { text: string }) => ({
            content: r.text,
            attachments: [{ data: Buffer.from('chart'), filename: 'chart.txt' }],
          }),
        },
        async () => ({ text: 'Here is the chart' }),
      );
      expect(await flushed(processor)).to.equal(undefined);
    } finally {
      await stopSdk(sdk);
      rmSync(folder, { recursive: true, force: true });
    }
    const uploads = receiver()
      .store.recordsOf('inputs')
      .filter((r) => r.kind === 'attachments');
    expect(uploads).to.have.length(3);
    expect(filesOf(uploads[0]).map((a) => [a.filename, a.mime_type])).to.deep.equal([
      ['report.csv', 'text/plain'],
      ['page.html', 'text/html'],
      ['doc.pdf', 'application/pdf'],
      ['attachment_3.jpg', 'image/jpeg'],
    ]);
    expect(uploads[1]?.body).to.deep.include({ sender: 'agent', mode: 'base64', metadata: { step: 3 } });
    expect(uploads[1]?.body).to.not.have.property('message');
    const reply = receiver()
      .store.recordsOf('inputs')
      .filter((r) => r.kind === 'message')
      .at(-1);
    expect(uploads[2]?.body).to.deep.include({ message: reply?.id });
  });

  it('counts bad input, files over the limits and files gone before sending; the messages arrive', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'agentsight-attach-'));
    const vanishing = join(folder, 'gone.txt');
    writeFileSync(vanishing, 'soon gone');
    const diag = captureDiag();
    const { processor, sdk } = start();
    let error: unknown;
    try {
      trackConversation({ conversationId: 'bad-files' }, () => {
        trackHumanMessage('bad ones', undefined, [
          { data: 'not base64!' },
          { data: Buffer.from('x'), path: vanishing },
          { path: join(folder, 'missing.txt') },
          { data: Buffer.alloc(26 * 1024 * 1024) },
          { path: vanishing },
        ]);
        trackHumanMessage(
          'eleven files',
          undefined,
          Array.from({ length: 11 }, (_, i) => ({ data: Buffer.from(`f${i}`) })),
        );
      });
      rmSync(vanishing);
      error = await flushed(processor);
    } finally {
      diag.restore();
      await stopSdk(sdk);
      rmSync(folder, { recursive: true, force: true });
    }
    expect((error as AgentSightDeliveryError).dropped).to.deep.equal({
      attachment_invalid: 3,
      attachment_over_limit: 2,
      attachment_unavailable: 1,
    });
    const warned = diag.warnings.join('\n');
    expect(warned).to.include('not standard base64').and.include('exactly one of data or path');
    expect(warned).to.include('over the 25.0 MiB limit').and.include('at most 10 attachments');
    const kinds = receiver()
      .store.recordsOf('bad-files')
      .map((r) => r.kind);
    expect(kinds).to.deep.equal(['conversation', 'message', 'message', 'attachments']);
  });
});
