import { createHash } from 'node:crypto';

/**
 * Longest identifier sent or recorded (conversation id, customer id, IP address, source,
 * language). agentsight-api.md gives 255 for names only; the same bound keeps every request
 * small (a 10 MB id once made 10 MB bodies, which a real API answers 413).
 */
export const MAX_IDENTIFIER_LENGTH = 255;

function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

/**
 * An identifier as it may be recorded and sent: unchanged when it is at most 255 characters with
 * no control characters (the usual case, checked without allocating); otherwise control
 * characters become `_`, it is cut to 238 characters, and `~` and 16 hex characters of a hash of
 * the original are appended, so two different long ids stay different. Idempotent. Shared by
 * the instrumentation (the span) and the exporter (the payload), so both apply the same rule.
 */
export function boundedIdentifier(id: string): string {
  if (id.length <= MAX_IDENTIFIER_LENGTH && !hasControl(id)) return id;
  // The whole id is hashed, so ids that differ anywhere stay distinct (a 10 MB id costs ~20 ms,
  // once per turn; ids this long are a bug upstream, and the warning-free path above is the norm).
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  let clean = '';
  const keep = MAX_IDENTIFIER_LENGTH - 17;
  for (let i = 0; i < id.length && clean.length < keep; i++) {
    clean += isControl(id.charCodeAt(i)) ? '_' : id[i];
  }
  const last = clean.charCodeAt(clean.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) clean = clean.slice(0, -1);
  return `${clean}~${hash}`;
}
