import { configure } from 'safe-stable-stringify';
import { truncate } from '../common/truncate';

/**
 * Default limit, in UTF-16 code units, for any one recorded value (message text, response,
 * arguments, metadata). Overridden by the `maxValueLength` option or `AGENTSIGHT_MAX_VALUE_LENGTH`.
 */
export const DEFAULT_MAX_VALUE_LENGTH = 32_768;

const MIN_MAX_VALUE_LENGTH = 64;

/**
 * safe-stable-stringify does the hard parts (circular references, BigInt, depth and breadth caps)
 * in one pass; key sorting is off because insertion order is what the user wrote and sorting
 * costs time on the hot path.
 */
const stringifySafely = configure({
  bigint: true,
  circularValue: '[Circular]',
  deterministic: false,
  maximumDepth: 10,
  maximumBreadth: 200,
});

/**
 * Turns values JSON has no form for into readable ones. `this` is the holder, so the original
 * value is seen before `toJSON` (a Buffer would otherwise become an array of byte numbers).
 */
function describeForJson(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown> | undefined)?.[key];
  if (original === undefined) return value;
  if (typeof original === 'function') return `[Function ${original.name || 'anonymous'}]`;
  if (typeof original === 'symbol') return original.toString();
  if (typeof original !== 'object' || original === null) return value;
  if (Buffer.isBuffer(original)) return `[Buffer ${original.length} bytes]`;
  if (ArrayBuffer.isView(original)) return `[${original.constructor.name} ${original.byteLength} bytes]`;
  if (original instanceof Map) return Object.fromEntries(Array.from(original, ([k, v]) => [String(k), v]));
  if (original instanceof Set) return Array.from(original);
  if (original instanceof Error) return { name: original.name, message: original.message };
  if (original instanceof RegExp) return original.toString();
  return value;
}

/**
 * Serialises any value to JSON text without throwing. Values JSON cannot express become
 * descriptive strings; `undefined` (and a top-level function or symbol) becomes `undefined`.
 */
function toJson(value: unknown): string | undefined {
  try {
    return stringifySafely(value, describeForJson);
  } catch {
    // A throwing getter or toJSON in user data must never reach the user's code.
    return '"[Unserializable]"';
  }
}

/**
 * The text form of a value: strings as they are, everything else as JSON.
 */
function toText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : toJson(value);
}

/**
 * JSON text of a value that must stay parseable (metadata objects): when the JSON is longer than
 * the limit, the result is a small valid JSON object holding a truncated preview instead.
 */
export function toBoundedJson(value: unknown, limit: number): string | undefined {
  const json = toJson(value);
  if (json === undefined || json.length <= limit) return json;
  // Escaping can lengthen the preview, so shrink it until the wrapper fits.
  for (let budget = limit - 64; ; budget = Math.floor(budget / 2)) {
    const wrapped = JSON.stringify({ truncated: true, preview: truncate(json, Math.max(0, budget)) });
    if (wrapped.length <= limit || budget <= 0) return wrapped;
  }
}

/**
 * Text of a value, cut to the limit (responses, message contents).
 */
export function toBoundedText(value: unknown, limit: number): string | undefined {
  const text = toText(value);
  return text === undefined ? undefined : truncate(text, limit);
}

/**
 * Reads a value-length limit: the explicit option, else `AGENTSIGHT_MAX_VALUE_LENGTH`, else the
 * default. Unusable values fall back to the default rather than throw at runtime; decorator
 * options are checked at decoration time by {@link assertMaxValueLength}.
 */
export function resolveMaxValueLength(option: number | undefined): number {
  if (option !== undefined) return option;
  const fromEnv = Number(process.env.AGENTSIGHT_MAX_VALUE_LENGTH);
  return Number.isInteger(fromEnv) && fromEnv >= MIN_MAX_VALUE_LENGTH ? fromEnv : DEFAULT_MAX_VALUE_LENGTH;
}

/**
 * Rejects a malformed `maxValueLength` option where it is written, with a message that says
 * what to fix.
 */
export function assertMaxValueLength(option: number | undefined, where: string): void {
  if (option === undefined) return;
  if (!Number.isInteger(option) || option < MIN_MAX_VALUE_LENGTH) {
    throw new TypeError(
      `${where}: maxValueLength must be an integer of at least ${MIN_MAX_VALUE_LENGTH} (got ${String(option)})`,
    );
  }
}
