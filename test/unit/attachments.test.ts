import { createHash } from 'node:crypto';
import { expect } from 'chai';
import {
  generatedFilename,
  MAX_ATTACHMENT_BYTES,
  recordAttachments,
  sniffMimeType,
  takeAttachment,
} from '#internal/attachments/index';

const bytes = (hex: string, rest = '') => Buffer.concat([Buffer.from(hex, 'hex'), Buffer.from(rest)]);

describe('attachments, on the recording side', () => {
  it('sniffs types from the bytes: signatures, then JSON and text, else octet-stream', () => {
    expect(sniffMimeType(bytes('89504e470d0a1a0a0000000d49484452'))).to.equal('image/png');
    expect(sniffMimeType(bytes('ffd8ffe0'))).to.equal('image/jpeg');
    expect(sniffMimeType(Buffer.from('%PDF-1.7\n'))).to.equal('application/pdf');
    expect(sniffMimeType(Buffer.from('GIF89a...'))).to.equal('image/gif');
    expect(sniffMimeType(Buffer.from('{"a": [1, 2]}'))).to.equal('application/json');
    expect(sniffMimeType(Buffer.from('{not json}'))).to.equal('text/plain');
    expect(sniffMimeType(Buffer.from('Hello, world.\nSecond line.'))).to.equal('text/plain');
    expect(sniffMimeType(Buffer.from([0, 1, 2, 3, 250, 251, 0, 7]))).to.equal('application/octet-stream');
    expect(sniffMimeType(Buffer.alloc(0))).to.equal('application/octet-stream');
  });

  it('names files without a name by position and type', () => {
    expect(generatedFilename(0, 'image/png')).to.equal('attachment_0.png');
    expect(generatedFilename(3, 'application/pdf; charset=x')).to.equal('attachment_3.pdf');
    expect(generatedFilename(1, 'application/x-unknown')).to.equal('attachment_1.bin');
  });

  it('describes each file (never its bytes), holds the bytes until taken once, and explains refusals', () => {
    const data = Buffer.from('%PDF-1.4 a tiny document');
    const { descriptors, problems } = recordAttachments([
      { data, filename: 'a.pdf' },
      { data: 'aGVsbG8=', mimeType: 'text/plain' },
      { data: 'aGVsbG8' },
      { path: '/nonexistent/file.txt' },
      { data: Buffer.alloc(MAX_ATTACHMENT_BYTES + 1) },
      42,
    ]);
    expect(descriptors[0]).to.deep.include({
      filename: 'a.pdf',
      mime_type: 'application/pdf',
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    });
    expect(descriptors[1]).to.deep.include({ filename: 'attachment_1.txt', mime_type: 'text/plain', size: 5 });
    expect(descriptors.slice(2).map((d) => d.dropped)).to.deep.equal(['invalid', 'invalid', 'over_limit', 'invalid']);
    expect(problems).to.have.length(4);
    expect(problems.join('\n')).to.include('not standard base64').and.include('cannot read file.txt (ENOENT)');
    const held = takeAttachment(descriptors[0]?.id as string);
    expect(held?.kind === 'bytes' && Buffer.from(held.bytes).equals(data)).to.equal(true);
    expect(takeAttachment(descriptors[0]?.id as string), 'taken once').to.equal(undefined);
    // The caller's buffer was copied: changing it now changes nothing held.
    data.fill(0);
    expect(takeAttachment(descriptors[1]?.id as string)).to.deep.include({ kind: 'bytes' });
  });
});
