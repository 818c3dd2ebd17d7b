import type { HrTime } from '@opentelemetry/api';

/**
 * A span time as the AgentSight SDK writes timestamps: UTC ISO-8601 with microseconds and a
 * `+00:00` offset (`2026-02-08T13:36:00.123456+00:00`), taken from the span's nanosecond time.
 * The fraction is always written, so every timestamp has the same shape.
 */
export function toAgentSightTimestamp([seconds, nanos]: HrTime): string {
  const micros = String(Math.floor(nanos / 1000)).padStart(6, '0');
  return `${wholeSecondsOf(seconds)}.${micros}+00:00`;
}

// The spans of one export mostly share their second; formatting a Date is the costly part.
let lastSeconds = Number.NaN;
let lastWholeSeconds = '';

function wholeSecondsOf(seconds: number): string {
  if (seconds !== lastSeconds) {
    lastWholeSeconds = new Date(seconds * 1000).toISOString().slice(0, 19);
    lastSeconds = seconds;
  }
  return lastWholeSeconds;
}

/** A span time in microseconds since the epoch: exact in a double (nanoseconds would not be). */
export function toMicroseconds([seconds, nanos]: HrTime): number {
  return seconds * 1e6 + Math.floor(nanos / 1000);
}

/** The AgentSight timestamp of a time in microseconds since the epoch. */
export function timestampFromMicroseconds(micros: number): string {
  return toAgentSightTimestamp([Math.floor(micros / 1e6), (micros % 1e6) * 1000]);
}
