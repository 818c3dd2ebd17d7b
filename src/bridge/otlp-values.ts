import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { Type } from 'protobufjs';

/*
 * Reading OTLP values, whichever encoding carried them: shared by the spans and the logs decoders.
 */

/** A request body the bridge cannot read: answered 400, which the Collector does not retry. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/*
 * Both encodings are read into one neutral shape: protobuf fields by their proto names
 * (`keepCase`), OTLP/JSON by its lowerCamelCase names, with ids as hex (JSON) or bytes (protobuf)
 * and 64-bit integers as decimal text or numbers.
 */
export type Loose = Record<string, unknown>;

export const field = (object: Loose, snake: string, camel: string): unknown => object[snake] ?? object[camel];
export const list = (value: unknown): Loose[] => (Array.isArray(value) ? (value as Loose[]) : []);

export function hexId(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return typeof value === 'string' ? value.toLowerCase() : '';
}

/** OTLP nanoseconds (decimal text, number or protobufjs Long) as an HrTime. */
export function hrTime(value: unknown): HrTime {
  let nanos: bigint;
  try {
    nanos = BigInt(typeof value === 'object' && value !== null ? String(value) : ((value as string | number) ?? 0));
  } catch {
    return [Number.NaN, Number.NaN]; // unreadable: the mapping drops the span and counts it
  }
  return [Number(nanos / 1_000_000_000n), Number(nanos % 1_000_000_000n)];
}

/**
 * Deepest nesting of array and kvlist values read; a deeper value makes its span unreadable. No
 * instrumentation nests attribute values this deep, and protobuf decoders stop at 100 message
 * levels (three per value level): 16 keeps the JSON and protobuf encodings alike.
 */
export const MAX_VALUE_DEPTH = 16;

/** A value the bridge will not read: its span is dropped alone and reported. */
export class PoisonValue extends Error {}

/**
 * An OTLP AnyValue as a plain value, in one pass over its nodes: kvlists become objects (without a
 * prototype, so keys such as `__proto__` stay data) and arrays arrays. The caller stringifies the
 * result once. (Stringifying at every level made escaping double per level: 27 levels in 514 bytes
 * took 12 s and 1.6 GB.)
 */
export function plainValue(value: Loose | undefined, depth: number): unknown {
  if (value === undefined || value === null) return null;
  const text = field(value, 'string_value', 'stringValue');
  if (text !== undefined) return String(text);
  const bool = field(value, 'bool_value', 'boolValue');
  if (bool !== undefined) return Boolean(bool);
  const int = field(value, 'int_value', 'intValue');
  if (int !== undefined) return Number(String(int));
  const double = field(value, 'double_value', 'doubleValue');
  if (double !== undefined) return Number(double);
  const array = field(value, 'array_value', 'arrayValue') as Loose | undefined;
  const kvlist = field(value, 'kvlist_value', 'kvlistValue') as Loose | undefined;
  if (array !== undefined || kvlist !== undefined) {
    if (depth >= MAX_VALUE_DEPTH)
      throw new PoisonValue(`an attribute value nests deeper than ${MAX_VALUE_DEPTH} levels`);
    if (array !== undefined) return list(array.values).map((item) => plainValue(item, depth + 1));
    const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const kv of list((kvlist as Loose).values)) {
      if (typeof kv.key === 'string') object[kv.key] = plainValue(kv.value as Loose | undefined, depth + 1);
    }
    return object;
  }
  const bytes = field(value, 'bytes_value', 'bytesValue');
  if (bytes instanceof Uint8Array) return Buffer.from(bytes).toString('base64');
  return typeof bytes === 'string' ? bytes : null;
}

/** An OTLP AnyValue as an attribute value: scalars as they are, string arrays as arrays, the rest as JSON. */
function anyValue(value: Loose | undefined): AttributeValue | undefined {
  if (value === undefined || value === null) return undefined;
  const plain = plainValue(value, 0);
  if (plain === null) return undefined;
  if (typeof plain !== 'object') return plain as AttributeValue;
  if (Array.isArray(plain) && plain.every((v) => typeof v === 'string')) return plain as string[];
  return JSON.stringify(plain);
}

export function attributes(keyValues: unknown): Attributes {
  const result: Attributes = Object.create(null) as Attributes;
  for (const kv of list(keyValues)) {
    const value = anyValue(kv.value as Loose | undefined);
    if (typeof kv.key === 'string' && value !== undefined) result[kv.key] = value;
  }
  return result;
}

/**
 * Reads an OTLP/HTTP body (`application/x-protobuf` with `type`, or `application/json`) and hands
 * the request object to `read`. Anything malformed, in the encoding or in a shape no OTLP request
 * has (a span that is a number, say), becomes an {@link OtlpDecodeError} naming the signal.
 */
export function decodeOtlpBody<T>(
  body: Buffer,
  json: boolean,
  signal: 'traces' | 'logs',
  type: () => Type,
  read: (request: Loose) => T,
): T {
  let request: Loose;
  try {
    request = json
      ? (JSON.parse(body.toString('utf8')) as Loose)
      : (type().toObject(type().decode(body), { longs: String }) as Loose);
  } catch (error) {
    throw new OtlpDecodeError(
      `the body is not an OTLP ${json ? 'JSON' : 'protobuf'} ${signal} request: ${(error as Error).message}`,
    );
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new OtlpDecodeError(`the body is not an OTLP ${signal} request`);
  try {
    return read(request);
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    throw new OtlpDecodeError(`the body is not an OTLP ${signal} request: ${(error as Error).message}`);
  }
}
