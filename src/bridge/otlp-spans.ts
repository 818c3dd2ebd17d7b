import type { Attributes, AttributeValue, HrTime, SpanContext } from '@opentelemetry/api';
import type { FinishedSpan } from '../common/sdk-shapes';
import { traceTypes } from './otlp-schema';

/** A request body the bridge cannot read: answered 400, which the Collector does not retry. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/*
 * Both encodings are read into one neutral shape: protobuf fields by their proto names
 * (`keepCase`), OTLP/JSON by its lowerCamelCase names, with ids as hex (JSON) or bytes (protobuf)
 * and 64-bit integers as decimal text or numbers.
 */
type Loose = Record<string, unknown>;

const field = (object: Loose, snake: string, camel: string): unknown => object[snake] ?? object[camel];
const list = (value: unknown): Loose[] => (Array.isArray(value) ? (value as Loose[]) : []);

function hexId(value: unknown): string {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return typeof value === 'string' ? value.toLowerCase() : '';
}

/** OTLP nanoseconds (decimal text, number or protobufjs Long) as an HrTime. */
function hrTime(value: unknown): HrTime {
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
class PoisonValue extends Error {}

/**
 * An OTLP AnyValue as a plain value, in one pass over its nodes: kvlists become objects (without a
 * prototype, so keys such as `__proto__` stay data) and arrays arrays. The caller stringifies the
 * result once. (Stringifying at every level made escaping double per level: 27 levels in 514 bytes
 * took 12 s and 1.6 GB.)
 */
function plainValue(value: Loose | undefined, depth: number): unknown {
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

function attributes(keyValues: unknown): Attributes {
  const result: Attributes = Object.create(null) as Attributes;
  for (const kv of list(keyValues)) {
    const value = anyValue(kv.value as Loose | undefined);
    if (typeof kv.key === 'string' && value !== undefined) result[kv.key] = value;
  }
  return result;
}

/** OTLP span kind (1 internal … 5 consumer, 0 unspecified) as the API's (0 internal … 4 consumer). */
function spanKind(value: unknown): number {
  const kind = Number(value ?? 0);
  return kind >= 1 && kind <= 5 ? kind - 1 : 0;
}

function toFinishedSpan(span: Loose): FinishedSpan {
  const context: SpanContext = {
    traceId: hexId(field(span, 'trace_id', 'traceId')),
    spanId: hexId(field(span, 'span_id', 'spanId')),
    traceFlags: Number(span.flags ?? 1) & 0xff,
  };
  const status = (span.status ?? {}) as Loose;
  const parentSpanId = hexId(field(span, 'parent_span_id', 'parentSpanId'));
  return {
    ...(parentSpanId === '' ? {} : { parentSpanId }),
    name: String(span.name ?? ''),
    kind: spanKind(span.kind),
    spanContext: () => context,
    startTime: hrTime(field(span, 'start_time_unix_nano', 'startTimeUnixNano')),
    endTime: hrTime(field(span, 'end_time_unix_nano', 'endTimeUnixNano')),
    status: { code: Number(status.code ?? 0), ...(status.message ? { message: String(status.message) } : {}) },
    attributes: attributes(span.attributes),
    events: list(span.events).map((event) => ({
      name: String(event.name ?? ''),
      time: hrTime(field(event, 'time_unix_nano', 'timeUnixNano')),
      attributes: attributes(event.attributes),
    })),
  };
}

/** A span of a request that could not be read, dropped alone. */
export interface UnreadableSpan {
  readonly spanName: string;
  readonly reason: string;
}

/** The spans of one request: those read, in order, and those that could not be. */
export interface DecodedTraces {
  readonly spans: FinishedSpan[];
  readonly unreadable: UnreadableSpan[];
}

/** Every span of an export request, in the order it lists them (the order they ended). */
function spansOf(request: Loose): DecodedTraces {
  const spans: FinishedSpan[] = [];
  const unreadable: UnreadableSpan[] = [];
  for (const resourceSpans of list(field(request, 'resource_spans', 'resourceSpans'))) {
    for (const scopeSpans of list(field(resourceSpans, 'scope_spans', 'scopeSpans'))) {
      for (const span of list(scopeSpans.spans)) {
        if (typeof span !== 'object' || span === null || Array.isArray(span)) {
          throw new OtlpDecodeError('the body is not an OTLP traces request: a span is not an object');
        }
        try {
          spans.push(toFinishedSpan(span));
        } catch (error) {
          if (!(error instanceof PoisonValue)) throw error;
          unreadable.push({ spanName: String(span?.name ?? '').slice(0, 200), reason: error.message });
        }
      }
    }
  }
  return { spans, unreadable };
}

/** Reads an OTLP/HTTP traces body (`application/x-protobuf` or `application/json`). */
export function decodeTraceRequest(body: Buffer, json: boolean): DecodedTraces {
  let request: Loose;
  try {
    request = json
      ? (JSON.parse(body.toString('utf8')) as Loose)
      : (traceTypes().request.toObject(traceTypes().request.decode(body), { longs: String }) as Loose);
  } catch (error) {
    throw new OtlpDecodeError(
      `the body is not an OTLP ${json ? 'JSON' : 'protobuf'} traces request: ${(error as Error).message}`,
    );
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw new OtlpDecodeError('the body is not an OTLP traces request');
  try {
    return spansOf(request);
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    // A shape no OTLP request has (a span that is a number, say): the request is malformed.
    throw new OtlpDecodeError(`the body is not an OTLP traces request: ${(error as Error).message}`);
  }
}
