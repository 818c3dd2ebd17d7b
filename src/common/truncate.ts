/**
 * Cuts a string to `limit` UTF-16 code units, marking the cut and the original length so a reader
 * knows the value was shortened. Never splits a surrogate pair. `totalLength` is the length of
 * the value `text` was already sliced from, when it was (so a 10 MB string is never copied whole). Shared by the instrumentation
 * (which bounds what it records) and the exporter (which bounds what it sends).
 */
export function truncate(text: string, limit: number, totalLength = text.length): string {
  if (text.length <= limit && totalLength === text.length) return text;
  const marker = `…[truncated, total length: ${totalLength}]`;
  let end = Math.max(0, limit - marker.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + marker;
}
