/**
 * The text of an AgentSight error answer, read the way the SDK reads it (agentsight-api.md §6.3):
 * DRF's `detail`, else its field errors as `field: message, message; field: ...`, else the JSON or
 * raw text as it is. Nested errors are written out as JSON rather than crashing, unlike the SDK.
 *
 * Whole, never cut (the transport's cap bounds it): a cut made before the API key is redacted can
 * leave part of an echoed key behind. Callers pass it through a `redactor`, which redacts first
 * and cuts after.
 */
export function apiErrorText(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body.trim() === '' ? 'Unknown error' : body;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const fields = parsed as Record<string, unknown>;
    if ('detail' in fields) return String(fields.detail);
    const parts = Object.entries(fields).map(
      ([field, messages]) =>
        `${field}: ${
          Array.isArray(messages)
            ? messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(', ')
            : typeof messages === 'string'
              ? messages
              : JSON.stringify(messages)
        }`,
    );
    if (parts.length > 0) return parts.join('; ');
    return body.trim() === '' || body.trim() === '{}' ? 'Unknown error' : body;
  }
  return JSON.stringify(parsed);
}
