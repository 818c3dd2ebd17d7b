import { filetypemime } from 'magic-bytes.js';

/** Bytes looked at to tell a file's type: every signature magic-bytes.js knows fits in them. */
export const SNIFF_BYTES = 4_100;

const FALLBACK_TYPE = 'application/octet-stream';

/**
 * Whether `text` reads as text (agentsight-api.md §5.7 step 18): at least 80% printable or
 * whitespace, no NUL, at most 2% other control characters.
 */
function isReadable(text: string): boolean {
  if (text.length === 0 || text.includes('\u0000')) return false;
  let printable = 0;
  let control = 0;
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code === 0xfffd) continue;
    if (char === '\n' || char === '\r' || char === '\t' || (code >= 0x20 && code !== 0x7f)) printable += 1;
    else control += 1;
  }
  return printable >= text.length * 0.8 && control <= text.length * 0.02;
}

/**
 * The MIME type of a file from its first bytes: binary signatures by magic-bytes.js (a kept,
 * synchronous, dependency-free table; `file-type` is async-only and needs Node 22), then JSON or
 * plain text for readable UTF-8, else `application/octet-stream`. The file's name is never used.
 */
export function sniffMimeType(bytes: Uint8Array): string {
  if (bytes.length === 0) return FALLBACK_TYPE;
  const head = bytes.subarray(0, SNIFF_BYTES);
  const [known] = filetypemime(head);
  // magic-bytes.js calls anything starting with `{` JSON; only text that parses is.
  if (known !== undefined && known !== 'application/json') return known;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head);
  if (!isReadable(text)) return FALLBACK_TYPE;
  const trimmed = text.trim();
  if (bytes.length <= SNIFF_BYTES && /^[[{][\s\S]*[\]}]$/.test(trimmed)) {
    try {
      JSON.parse(trimmed);
      return 'application/json';
    } catch {
      // Not JSON after all: plain text.
    }
  }
  return 'text/plain';
}
