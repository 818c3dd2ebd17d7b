/**
 * JSON text of any value within a budget: work and memory grow with the limit, never with the
 * size of the value. No library does this (safe-stable-stringify caps depth and breadth but
 * calls `toJSON` first, so a 200 MB Buffer becomes an array of 200M numbers before anything is
 * cut; the truncating ones need the whole JSON first), so it is written here, small, and fuzzed.
 *
 * - Binary data (Buffer, typed arrays, ArrayBuffer, DataView, Blob) and streams are described by
 *   kind and size, never expanded.
 * - Strings are sliced before they are escaped, with a marker saying how long they were.
 * - Objects, arrays, Maps and Sets are walked to a depth of 10 and 200 members each, and stop
 *   when the budget is spent, with a marker member; the result is always valid JSON.
 * - User `toJSON` methods are not called (one can build anything); Dates and Errors are described.
 * - A throwing getter, a Proxy or a revoked Proxy costs its own value (`"[Unreadable]"`) only.
 *
 * One cost still grows with the value: V8 lists all the keys of a plain object before the walk
 * reads the first (for-in and Object.keys alike; ~40 ms for 200k keys). Maps, Sets, arrays and
 * strings are read only as far as the budget goes.
 */

/** Transforms each string value (a masking hook); called with the field name it belongs to. */
export type StringTransform = (value: string) => string;

const MAX_DEPTH = 10;
const MAX_MEMBERS = 200;
/**
 * Room kept past the budget, so the result never exceeds the limit: the closing brackets (one
 * per level), one marker member, and the last value written (a string's marker, a number).
 */
const CLOSING_RESERVE = 64;
const TRUNCATED_MEMBER = '"…[truncated]"';

/** `[Buffer 12 bytes]`-style description of binary data and streams, or undefined. */
function describeOpaque(value: object): string | undefined {
  if (ArrayBuffer.isView(value)) {
    const kind = Buffer.isBuffer(value) ? 'Buffer' : (value.constructor?.name ?? 'TypedArray');
    return `[${kind} ${value.byteLength} bytes]`;
  }
  if (value instanceof ArrayBuffer) return `[ArrayBuffer ${value.byteLength} bytes]`;
  if (typeof SharedArrayBuffer !== 'undefined' && value instanceof SharedArrayBuffer) {
    return `[SharedArrayBuffer ${value.byteLength} bytes]`;
  }
  if (typeof Blob !== 'undefined' && value instanceof Blob) {
    return `[${value.constructor?.name ?? 'Blob'} ${value.size} bytes${value.type ? ` ${value.type}` : ''}]`;
  }
  const candidate = value as { pipe?: unknown; getReader?: unknown; on?: unknown };
  if (typeof candidate.getReader === 'function') return '[ReadableStream]';
  if (typeof candidate.pipe === 'function' && typeof candidate.on === 'function') return '[Stream]';
  return undefined;
}

/** One walk: the output and what is left of the budget. */
class Writer {
  private out = '';
  private readonly ancestors: object[] = [];
  /** Set once a marker says the value was cut: the enclosing levels only close their brackets. */
  private marked = false;

  constructor(
    private readonly budget: number,
    private readonly transform: StringTransform | undefined,
  ) {}

  get text(): string {
    return this.out;
  }

  private get left(): number {
    return this.budget - this.out.length;
  }

  /** Writes `value`; returns false when the budget ran out (the caller stops adding members). */
  value(value: unknown, depth: number): boolean {
    switch (typeof value) {
      case 'string':
        return this.string(value);
      case 'number':
        this.out += Number.isFinite(value) ? String(value) : 'null';
        return this.left > 0;
      case 'boolean':
        this.out += value ? 'true' : 'false';
        return this.left > 0;
      case 'bigint': {
        // As a JSON number, as safe-stable-stringify wrote it; a giant one is only described.
        const digits = value.toString();
        return digits.length <= 24 ? this.raw(digits) : this.string(`[BigInt of ${digits.length} digits]`);
      }
      case 'undefined':
        this.out += 'null';
        return this.left > 0;
      case 'symbol':
        return this.string(safeText(() => value.toString()));
      case 'function':
        return this.string(`[Function ${safeText(() => value.name) || 'anonymous'}]`);
      default:
        return value === null ? this.raw('null') : this.object(value as object, depth);
    }
  }

  private raw(text: string): boolean {
    this.out += text;
    return this.left > 0;
  }

  /** A JSON string of at most what the budget leaves, sliced before escaping. */
  private string(value: string): boolean {
    const room = Math.max(0, this.left - 2);
    // Slice first: neither the mask nor the escaping ever sees more than the budget.
    const sliced = value.length > room;
    let text = sliced ? value.slice(0, room) : value;
    if (this.transform !== undefined) text = this.transform(text);
    let json = JSON.stringify(text);
    if (!sliced && json.length - 2 <= room) {
      this.out += json;
      return this.left > 0;
    }
    this.marked = true;
    const full = `…[truncated, ${value.length} chars]`;
    const marker = full.length <= room ? full : '…';
    // Escaping can lengthen the text (quotes, control characters): shrink until it fits.
    for (let end = Math.max(0, room - marker.length); ; end = Math.floor(end / 2)) {
      let cut = end;
      const last = text.charCodeAt(cut - 1);
      if (last >= 0xd800 && last <= 0xdbff) cut -= 1;
      json = JSON.stringify(text.slice(0, cut) + marker);
      if (json.length - 2 <= room || end === 0) break;
    }
    this.out += json;
    return false;
  }

  private object(value: object, depth: number): boolean {
    if (this.ancestors.includes(value)) return this.raw('"[Circular]"');
    const mark = this.out.length;
    let opaque: string | undefined;
    try {
      opaque = describeOpaque(value);
      if (opaque === undefined && value instanceof Date) {
        return Number.isNaN(value.getTime()) ? this.raw('null') : this.string(value.toISOString());
      }
      if (opaque === undefined && value instanceof RegExp) opaque = String(value);
    } catch {
      return this.raw('"[Unreadable]"');
    }
    if (opaque !== undefined) return this.string(opaque);
    if (depth >= MAX_DEPTH) return this.raw('"[Object]"');
    this.ancestors.push(value);
    try {
      if (value instanceof Error)
        return this.members(
          [
            ['name', value.name],
            ['message', value.message],
          ],
          depth,
        );
      if (Array.isArray(value)) return this.array(arrayItems(value), value.length, depth);
      if (value instanceof Set) return this.array(value.values(), value.size, depth);
      if (value instanceof Map) return this.members(mapEntries(value), depth);
      return this.members(ownEntries(value), depth);
    } catch {
      // A revoked Proxy or a hostile trap: drop what this value wrote, keep the JSON valid.
      this.out = this.out.slice(0, mark);
      return this.raw('"[Unreadable]"');
    } finally {
      this.ancestors.pop();
    }
  }

  private array(items: Iterator<unknown>, size: number, depth: number): boolean {
    this.out += '[';
    let count = 0;
    for (let step = items.next(); !step.done; step = items.next()) {
      if (count >= MAX_MEMBERS || this.left <= 0) return this.close(']', true, count);
      if (count > 0) this.out += ',';
      count += 1;
      if (!this.value(step.value, depth + 1)) return this.close(']', count < size, count);
    }
    this.out += ']';
    return this.left > 0;
  }

  private members(entries: Iterable<[string, unknown]>, depth: number): boolean {
    this.out += '{';
    let count = 0;
    for (const [key, member] of entries) {
      if (member === undefined) continue; // as JSON.stringify does
      if (count >= MAX_MEMBERS || this.left <= 0) return this.close('}', true, count);
      if (count > 0) this.out += ',';
      count += 1;
      this.string(key.length > 256 ? `${key.slice(0, 256)}…` : key);
      this.out += ':';
      if (!this.value(member, depth + 1)) return this.close('}', true, count);
    }
    this.out += '}';
    return this.left > 0;
  }

  /** Ends a cut container, with a marker member when members were left out (once per walk). */
  private close(bracket: ']' | '}', cut: boolean, count: number): boolean {
    if (cut && !this.marked) {
      this.marked = true;
      this.out += `${count > 0 ? ',' : ''}${bracket === ']' ? TRUNCATED_MEMBER : `"…":${TRUNCATED_MEMBER}`}`;
    }
    this.out += bracket;
    return false;
  }
}

function safeText(read: () => string): string {
  try {
    return read();
  } catch {
    return '[Unreadable]';
  }
}

function* arrayItems(array: readonly unknown[]): Iterator<unknown> {
  const length = array.length;
  for (let i = 0; i < length; i++) yield readMember(() => array[i]);
}

function* mapEntries(map: Map<unknown, unknown>): Iterable<[string, unknown]> {
  for (const [key, value] of map) yield [typeof key === 'string' ? key : safeText(() => String(key)), value];
}

/** Own enumerable string keys, read lazily (for-in stops where the walk stops). */
function* ownEntries(value: object): Iterable<[string, unknown]> {
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    yield [key, readMember(() => (value as Record<string, unknown>)[key])];
  }
}

/** A member whose getter throws is that member's loss only. */
function readMember(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return '[Unreadable]';
  }
}

/**
 * JSON text of `value` of at most `limit` characters (`limit` ≥ 64), or undefined for
 * `undefined`. Never throws. `transform` is applied to every string value (not to keys).
 */
export function boundedJson(value: unknown, limit: number, transform?: StringTransform): string | undefined {
  if (value === undefined) return undefined;
  try {
    const writer = new Writer(Math.max(0, limit - CLOSING_RESERVE), transform);
    writer.value(value, 0);
    return writer.text;
  } catch {
    return '"[Unserializable]"';
  }
}
