/**
 * Text that goes into a log line or an error message: bounded, on one line, and without the API
 * key, whatever case the key comes back in (servers and proxies echo headers and bodies).
 */

/** Longest value quoted in a log line. */
export const MAX_LOGGED_VALUE = 200;

/** Control characters (they could forge log lines) as visible escapes. */
function escapeControls(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return out;
}

/** One value for a log line: escaped, and cut to `max` characters with a marker. */
export function loggable(value: unknown, max = MAX_LOGGED_VALUE): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : String(value);
  } catch {
    text = '[unprintable]';
  }
  const cut = text.length > max ? `${text.slice(0, max)}…[${text.length} chars]` : text;
  return escapeControls(cut);
}

/** `text` ended as a sentence: a period added unless it already ends with one (or ! or ?). */
export function sentence(text: string): string {
  return /[.!?]$/.test(text.trimEnd()) ? text.trimEnd() : `${text.trimEnd()}.`;
}

/** Escapes regular-expression syntax in a literal. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Returns a function that removes `secret` from any text, case-insensitively, along with
 * anything shaped like an AgentSight key. Texts longer than `maxLength` are cut after redaction.
 */
export function redactor(secret: string | undefined, maxLength = 2_000): (text: string) => string {
  const patterns = [/ags_[a-f0-9]{32}_[a-f0-9]{6}/gi];
  if (secret !== undefined && secret !== '') patterns.unshift(new RegExp(literal(secret), 'gi'));
  return (text) => {
    let clean = text;
    for (const pattern of patterns) clean = clean.replace(pattern, 'ags_[redacted]');
    return clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean;
  };
}
