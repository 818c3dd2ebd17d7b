import { TextDecoder } from 'node:util';
import { boundedJson } from './bounded-json';

/** Chunks beyond this count are not kept; the stream itself is untouched. */
const MAX_COLLECTED_CHUNKS = 10_000;

/** What a traced call does when a streamed result ends: record what went through, end the span. */
export interface StreamEnd {
  /** The consumer got everything (or stopped early): `value` is what it received. */
  readonly succeed: (value: unknown) => void;
  readonly fail: (error: unknown) => void;
}

/** An object chunk kept as its bounded JSON text (the chunk itself is not held). */
interface JsonChunk {
  readonly json: string;
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null;

/**
 * The answer's text a chunk of a known model stream carries ('' for its other events), or
 * undefined when the chunk is of no shape known here: the OpenAI SDK's Chat Completions chunks
 * (`choices[].delta.content`) and Responses events (`response.output_text.delta`), Anthropic's
 * `content_block_delta`, and the Vercel AI SDK's stream parts (`text-delta`).
 */
export function modelStreamText(chunk: unknown): string | undefined {
  if (!isObject(chunk)) return undefined;
  const type = chunk.type;
  if (chunk.object === 'chat.completion.chunk' && Array.isArray(chunk.choices)) {
    let text = '';
    for (const choice of chunk.choices) {
      const content = isObject(choice) && isObject(choice.delta) ? choice.delta.content : undefined;
      if (typeof content === 'string') text += content;
    }
    return text;
  }
  if (typeof type !== 'string') return undefined;
  if (type.startsWith('response.')) return type === 'response.output_text.delta' ? stringOr(chunk.delta) : '';
  if (type === 'content_block_delta') return isObject(chunk.delta) ? stringOr(chunk.delta.text) : '';
  if (type === 'message_start' || type === 'message_delta' || type === 'message_stop') return '';
  if (type === 'content_block_start' || type === 'content_block_stop') return '';
  if (type === 'text-delta') return stringOr(chunk.text ?? chunk.textDelta ?? chunk.delta);
  return undefined;
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * What a streamed result carried to its consumer, collected for the record as it passes and the
 * span ended once: when the stream ends, fails, or the consumer stops. Bounded in characters, for
 * every kind of chunk (issue 30: 1 MB object chunks were kept whole, +549 MB): text is kept up to
 * `maxLength`, object chunks as their JSON text within the same bound, at most 10,000 chunks.
 * Strings, bytes (decoded as UTF-8), server-sent events (`{ data }`, as NestJS's `@Sse` streams
 * them) and the chunks of model streams (OpenAI, Anthropic, the Vercel AI SDK: see
 * {@link modelStreamText}) become text; other chunks are recorded as a list.
 */
export class StreamRecorder {
  private readonly chunks: (string | JsonChunk)[] = [];
  private collectedLength = 0;
  private ended = false;
  /** A model stream's chunk was seen: the record is its text alone. */
  private modelText = false;
  private decoder: TextDecoder | undefined;
  /** How collected text reads as the answer (a protocol around it is taken off); as it is by default. */
  readAs: (text: string) => string = (text) => text;

  constructor(
    private readonly end: StreamEnd,
    private readonly maxLength: number,
    private readonly recording: boolean,
  ) {}

  /** One chunk that reached the consumer. */
  collect(chunk: unknown): void {
    if (!this.recording || this.chunks.length >= MAX_COLLECTED_CHUNKS || this.collectedLength >= this.maxLength) return;
    const room = this.maxLength - this.collectedLength;
    let text: string | undefined;
    if (typeof chunk === 'string') text = chunk;
    else if (chunk instanceof Uint8Array) {
      this.decoder ??= new TextDecoder();
      text = this.decoder.decode(chunk, { stream: true });
    } else if (isEvent(chunk)) text = chunk.data;
    else {
      text = modelStreamText(chunk);
      if (text !== undefined) this.modelText = true;
    }
    if (text !== undefined) {
      if (text === '') return;
      const kept = text.length > room ? copied(text.slice(0, room)) : text;
      this.collectedLength += kept.length;
      this.chunks.push(kept);
      return;
    }
    const json = copied(boundedJson(chunk, Math.max(64, room)) ?? 'null');
    this.collectedLength += json.length;
    this.chunks.push({ json });
  }

  /** The stream ended (or the consumer stopped): records what went through. */
  succeed(): void {
    if (this.ended) return;
    this.ended = true;
    const tail = this.decoder?.decode();
    if (tail) this.chunks.push(tail.slice(0, Math.max(0, this.maxLength - this.collectedLength)));
    const strings = this.chunks.filter((c): c is string => typeof c === 'string');
    if (this.modelText || strings.length === this.chunks.length) {
      this.end.succeed(this.readAs(strings.join('')));
      return;
    }
    this.end.succeed(this.chunks.map((c) => (typeof c === 'string' ? c : parsedOr(c.json))));
  }

  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.end.fail(error);
  }
}

/**
 * A string that holds nothing else: V8 keeps a slice (and a concatenation) as a view of the
 * strings it came from, so 32 KB cut from a 1 MB chunk held the whole megabyte (issue 30).
 */
function copied(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/** A kept chunk's JSON as a value again; its text when the bound cut it. */
function parsedOr(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

function isEvent(chunk: unknown): chunk is { data: string } {
  return typeof chunk === 'object' && chunk !== null && typeof (chunk as { data?: unknown }).data === 'string';
}
