/**
 * Cuts a string to `limit` UTF-16 code units, marking the cut and the original length so a reader
 * knows the value was shortened. Never splits a surrogate pair. Shared by the instrumentation
 * (which bounds what it records) and the exporter (which bounds what it sends).
 */
export function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const marker = `…[truncated, total length: ${text.length}]`;
  let end = Math.max(0, limit - marker.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + marker;
}
