import { Readable } from 'node:stream';
import { ReadableStream, type ReadableStreamReadResult } from 'node:stream/web';
import type { StreamRecorder } from './stream-recorder';

/*
 * Results that stream their answer to the consumer after the call returns: a web `ReadableStream`,
 * a `Response` with a streaming body (what the Vercel AI SDK's `toUIMessageStreamResponse()` and
 * most web frameworks return), an RxJS-style `Observable` (NestJS `@Sse`; found by its shape,
 * RxJS is no dependency), a Node `Readable`, and any other async iterable (the OpenAI SDK's
 * `Stream`). Each is read through as the consumer reads it: the same chunks, pulled
 * only when the consumer pulls (no buffering of the answer), and recorded when it ends.
 */

type Observer = { next(value: unknown): void; error(error: unknown): void; complete(): void };
type ObservableLike = { subscribe(observer: Partial<Observer>): { unsubscribe(): void }; pipe: unknown };

function isReadableStream(value: unknown): value is ReadableStream<unknown> {
  return value instanceof ReadableStream;
}

function isResponse(value: unknown): value is Response {
  return typeof Response !== 'undefined' && value instanceof Response && value.body !== null && !value.bodyUsed;
}

function isObservable(value: unknown): value is ObservableLike {
  try {
    const candidate = value as Partial<ObservableLike> | null;
    return (
      typeof candidate?.subscribe === 'function' &&
      typeof candidate.pipe === 'function' &&
      typeof (candidate as { constructor?: unknown }).constructor === 'function'
    );
  } catch {
    return false;
  }
}

function isNodeReadable(value: unknown): value is Readable {
  return value instanceof Readable && !value.readableEnded && !value.destroyed;
}

/** Any other async iterable (the OpenAI SDK's `Stream`, say); async generators are traced apart. */
function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  try {
    return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
  } catch {
    return false;
  }
}

/** Whether a value is a streamed result this module reads through. */
export function isStreamedResult(value: unknown): boolean {
  return (
    isReadableStream(value) ||
    isResponse(value) ||
    isObservable(value) ||
    isNodeReadable(value) ||
    isAsyncIterable(value)
  );
}

/**
 * The result read through, recording into `recorder` (which ends the span when the stream ends);
 * undefined when the value is not a streamed result (the caller records it as it is).
 */
export function readThrough(value: unknown, recorder: StreamRecorder): unknown {
  if (isReadableStream(value)) return readableThrough(value, recorder);
  if (isResponse(value)) {
    const { status, statusText, headers } = value;
    if (headers.get('x-vercel-ai-ui-message-stream') !== null) recorder.readAs = uiMessageText;
    return new Response(readableThrough(value.body as ReadableStream<Uint8Array>, recorder), {
      status,
      statusText,
      headers,
    });
  }
  if (isObservable(value)) return observableThrough(value, recorder);
  if (isNodeReadable(value)) return nodeReadableThrough(value, recorder);
  if (isAsyncIterable(value)) return asyncIterableThrough(value, recorder);
  return undefined;
}

/**
 * An async iterable, the same object (its class and methods are the caller's): its own
 * `[Symbol.asyncIterator]` is shadowed by one whose iterator passes every step on, recording the
 * values, and ends the record when the iteration ends, fails, or is left (`return`).
 */
function asyncIterableThrough<T extends AsyncIterable<unknown>>(iterable: T, recorder: StreamRecorder): T {
  const iterate = iterable[Symbol.asyncIterator];
  Object.defineProperty(iterable, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value(this: T) {
      const inner = iterate.call(this);
      const step = (result: Promise<IteratorResult<unknown>>) =>
        result.then(
          (next) => {
            if (next.done) recorder.succeed();
            else recorder.collect(next.value);
            return next;
          },
          (error: unknown) => {
            recorder.fail(error);
            throw error;
          },
        );
      return {
        next: (...args: [] | [unknown]) => step(inner.next(...args)),
        return: (value?: unknown) => {
          recorder.succeed(); // left early: what went through is the answer
          return inner.return ? inner.return(value) : Promise.resolve({ done: true as const, value });
        },
        throw: (error?: unknown) => (inner.throw ? step(inner.throw(error)) : Promise.reject(error)),
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    },
  });
  return iterable;
}

/**
 * A Node `Readable`, the same object (its class and fields are the caller's: an `fs.ReadStream`
 * keeps its `path`): what its source pushes is collected, and its own `end`, `error` and `close`
 * end the record. No listener is added, so flowing mode, backpressure and an unhandled `error`
 * behave exactly as before; only the instance's `push` and `emit` are seen through.
 */
function nodeReadableThrough(stream: Readable, recorder: StreamRecorder): Readable {
  const push = stream.push;
  const emit = stream.emit;
  stream.push = function (this: Readable, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && chunk !== undefined) recorder.collect(chunk);
    return push.call(this, chunk, encoding);
  };
  stream.emit = function (this: Readable, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error') recorder.fail(args[0]);
    else if (event === 'end' || event === 'close') recorder.succeed();
    return emit.call(this, event, ...args);
  } as Readable['emit'];
  return stream;
}

/**
 * A stream that pulls one chunk from the source each time its consumer pulls one (high-water mark
 * 0: nothing is read ahead), so backpressure is the source's own; a cancel is passed on.
 */
function readableThrough<T>(source: ReadableStream<T>, recorder: StreamRecorder): ReadableStream<T> {
  const reader = source.getReader();
  return new ReadableStream<T>(
    {
      async pull(controller) {
        let step: ReadableStreamReadResult<T>;
        try {
          step = await reader.read();
        } catch (error) {
          recorder.fail(error);
          controller.error(error);
          return;
        }
        if (step.done) {
          recorder.succeed();
          controller.close();
        } else {
          recorder.collect(step.value);
          controller.enqueue(step.value);
        }
      },
      cancel(reason) {
        recorder.succeed(); // what the consumer received before it stopped
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * An observable of the same class, whose every subscription subscribes to the source and passes
 * each value on; the first subscription that completes, fails or is unsubscribed ends the record.
 */
function observableThrough(source: ObservableLike, recorder: StreamRecorder): unknown {
  const Observable = (
    source as unknown as { constructor: new (subscribe: (subscriber: Observer) => () => void) => unknown }
  ).constructor;
  return new Observable((subscriber) => {
    const subscription = source.subscribe({
      next: (value) => {
        recorder.collect(value);
        subscriber.next(value);
      },
      error: (error) => {
        recorder.fail(error);
        subscriber.error(error);
      },
      complete: () => {
        recorder.succeed();
        subscriber.complete();
      },
    });
    return () => {
      recorder.succeed(); // unsubscribed: what went through is the answer (no-op after an end)
      subscription.unsubscribe();
    };
  });
}

/**
 * The answer's text in a Vercel AI SDK UI message stream (server-sent events of JSON parts, what
 * `toUIMessageStreamResponse()` sends): its `text-delta` parts joined. The stream as it came when
 * it has none (another protocol under the same header).
 */
function uiMessageText(stream: string): string {
  let text = '';
  let found = false;
  for (const line of stream.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    try {
      const part = JSON.parse(line.slice(6)) as { type?: unknown; delta?: unknown };
      if (part.type === 'text-delta' && typeof part.delta === 'string') {
        text += part.delta;
        found = true;
      }
    } catch {
      // A line cut by the length bound, or not JSON: not part of the answer's text.
    }
  }
  return found ? text : stream;
}
