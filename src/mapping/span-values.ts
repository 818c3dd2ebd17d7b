import * as crypto from 'node:crypto';
import { type Attributes, SpanStatusCode } from '@opentelemetry/api';
import type { FinishedSpan as ReadableSpan } from '../common/sdk-shapes';
import { nonBlankText } from '../common/text';
import { truncate } from '../common/truncate';
import { type MappingOptions, SPAN_ID_METADATA_KEY, TRACE_ID_METADATA_KEY } from './options';
import type { JsonObject } from './payloads';
import { toMicroseconds } from './timestamp';

/*
 * Reading a span's values as the payloads want them: bounded text, JSON objects, keys, times.
 */

export function text(attributes: Attributes, key: string): string | undefined {
  return nonBlankText(attributes[key]);
}

/**
 * A JSON-object attribute as an object; other JSON is kept under `value`, unparseable text as a
 * string. Text longer than `maxLength` is not parsed at all: it is kept as a cut preview, so a
 * hand-made span cannot make a field (or the work of reading it) bigger than the limit.
 */
export function jsonObject(attributes: Attributes, key: string, maxLength: number): JsonObject | undefined {
  const value = attributes[key];
  if (typeof value !== 'string') return undefined;
  if (value.length > maxLength) {
    return { truncated: true, preview: truncate(value.slice(0, maxLength), Math.max(0, maxLength - 64), value.length) };
  }
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as JsonObject;
    return { value: parsed };
  } catch {
    return { value };
  }
}

/** Parsed JSON if it is JSON (a truncated value is not), else the text as it is, cut to `maxLength`. */
export function jsonOrText(value: unknown, maxLength: number): unknown {
  if (typeof value !== 'string') return undefined;
  if (value.length > maxLength) return truncate(value.slice(0, maxLength), maxLength, value.length);
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * sha256 of a text in hex: `crypto.hash` where Node has it (20.12+, 21.7+), which makes no Hash
 * object (their creation was the zero-code mapping's largest cost after parsing), else a Hash.
 */
const sha256Hex: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash(algorithm: string, data: string): string }).hash('sha256', text)
    : (text) => crypto.createHash('sha256').update(text).digest('hex');

export function shortHash(text: string): string {
  return sha256Hex(text).slice(0, 32);
}

/** A span's name for a log line, whatever it holds. */
export function spanName(span: ReadableSpan): string {
  return typeof span.name === 'string' ? span.name : String(span.name);
}

export function spanKey(span: ReadableSpan, kind: string): string {
  const { traceId, spanId } = span.spanContext();
  return `${kind}-${traceId}-${spanId}`;
}

/** From the two validated times: a hand-made span's own `duration` may be missing or wrong. */
export function durationMs(span: ReadableSpan): number {
  return Math.max(0, Math.round((toMicroseconds(span.endTime) - toMicroseconds(span.startTime)) / 1e3));
}

export function errorMessage(span: ReadableSpan): string | undefined {
  if (span.status.code !== SpanStatusCode.ERROR) return undefined;
  if (span.status.message) return span.status.message;
  const exception = span.events.find((e) => e.name === 'exception');
  const message = exception?.attributes?.['exception.message'];
  return typeof message === 'string' && message !== '' ? message : 'error';
}

/** `metadata` with the span's trace and span ids added (keys the application set win). */
export function withTraceLink(metadata: JsonObject, span: ReadableSpan, options: MappingOptions): JsonObject {
  if (options.traceLinks !== true) return metadata;
  const { traceId, spanId } = span.spanContext();
  if (!/^[0-9a-f]{32}$/.test(traceId)) return metadata;
  return { [TRACE_ID_METADATA_KEY]: traceId, [SPAN_ID_METADATA_KEY]: spanId, ...metadata };
}
