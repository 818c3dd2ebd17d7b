/**
 * A usable text value: a non-blank string, or a finite number as its decimal text (AgentSight's
 * "blank" rule: blank strings and missing values are nothing, numbers are text). Shared by the
 * instrumentation (what it records) and the exporter (what it sends).
 */
export function nonBlankText(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
