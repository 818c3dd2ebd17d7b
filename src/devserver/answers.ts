import type { IncomingMessage } from 'node:http';
import type { FieldErrors, JsonObject } from './contract';

/** What the receiver answers: a status, a JSON (or HTML) body, and headers. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A 400 with DRF's field errors. */
export const fieldErrors = (errors: FieldErrors): Answer => ({ status: 400, body: errors });
/** An answer with DRF's `detail`. */
export const detail = (status: number, text: string): Answer => ({ status, body: { detail: text } });

/** Reads a JSON object body, or the API's answer to a body it cannot take. */
export async function readJsonBody(request: IncomingMessage, maxBytes: number): Promise<{ json: JsonObject } | Answer> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    request.resume();
    return detail(415, `Unsupported media type "${type}" in request.`);
  }
  // Read to the end even past the limit, so the 413 reaches the client on a healthy connection.
  const { text, tooLarge } = await new Promise<{ text: string; tooLarge: boolean }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > maxBytes }));
    request.on('error', reject);
  });
  if (tooLarge) return detail(413, `Request body too large (over ${maxBytes} bytes).`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return detail(400, `JSON parse error - ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fieldErrors({ non_field_errors: ['Invalid data. Expected a dictionary.'] });
  }
  return { json: json as JsonObject };
}
