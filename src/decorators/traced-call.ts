import { types } from 'node:util';
import { type Context, context, diag, type Span, SpanStatusCode } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE } from '../semconv/attributes';
import { maskFor } from './masking';
import { toBoundedText } from './serialize';
import { StreamRecorder } from './stream-recorder';
import { isStreamedResult, readThrough } from './streamed-results';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/**
 * What a traced call does with its span. One shape serves conversations and actions, decorators
 * and the functional API alike.
 */
export interface TracedCallPlan {
  /** The span, already started with its attributes. */
  readonly span: Span;
  /** The context the wrapped function runs in: the span, and possibly the conversation. */
  readonly context: Context;
  /** Longest text recorded from the call (error messages, collected stream chunks). */
  readonly maxValueLength: number;
  /**
   * Records the outcome before the span ends: the returned value, the settled value of a
   * promise, or for an async generator the yielded chunks (strings joined, else an array).
   */
  readonly onSuccess?: (value: unknown) => void;
}

/**
 * Runs `fn` inside the plan's span and context, and ends the span when the call is really over:
 * at once for a plain value, when a promise or thenable settles, when an async generator is
 * exhausted, fails or is abandoned. Sync stays sync. Values and errors pass through unchanged:
 * nothing here may throw into the caller except the caller's own error.
 */
export function runTraced<T>(
  plan: TracedCallPlan,
  fn: (...args: unknown[]) => T,
  thisArg: unknown,
  args: unknown[],
): T {
  let result: T;
  try {
    result = context.with(plan.context, fn, thisArg, ...args);
  } catch (error) {
    endWithError(plan, error);
    throw error;
  }
  if ((typeof result !== 'object' && typeof result !== 'function') || result === null) {
    endWithValue(plan, result);
    return result;
  }
  if (types.isPromise(result)) {
    return (result as Promise<unknown>).then(
      (value) => settle(plan, value),
      (error: unknown) => {
        endWithError(plan, error);
        throw error;
      },
    ) as T;
  }
  if (types.isGeneratorObject(result) && Symbol.asyncIterator in result) {
    return traceAsyncGenerator(plan, result as unknown as AsyncGenerator) as T;
  }
  if (isThenable(result)) return traceThenable(plan, result) as T;
  return settle(plan, result) as T;
}

/** Ends the span as a success, after recording the outcome. */
function endWithValue(plan: TracedCallPlan, value: unknown): void {
  if (plan.onSuccess !== undefined) {
    try {
      plan.onSuccess(value);
    } catch (error) {
      log.debug('could not record the result of a traced call', error);
    }
  }
  endSafely(plan.span);
}

/**
 * Ends the span as a failure: an exception event, ERROR status with the message, `error.type`.
 * The message and stack are cut to `maxValueLength` and masked like any recorded value: an
 * exception event would otherwise carry a 10 MB message to every exporter.
 */
function endWithError(plan: TracedCallPlan, error: unknown): void {
  try {
    const { span } = plan;
    const mask = maskFor('action.error');
    const message = toBoundedText(errorMessage(error), plan.maxValueLength, mask) as string;
    const type = errorType(error);
    const stack = error instanceof Error ? readStack(error) : undefined;
    span.recordException({
      name: type,
      message,
      ...(stack === undefined ? {} : { stack: toBoundedText(stack, plan.maxValueLength, mask) }),
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.setAttribute(ATTR_ERROR_TYPE, type);
  } catch (recordingError) {
    log.debug('could not record the error of a traced call', recordingError);
  }
  endSafely(plan.span);
}

/** Ends a span whose call will run untracked, so that a half-started span is not left open. */
export function abandonSpan(span: Span | undefined): void {
  if (span !== undefined) endSafely(span);
}

function endSafely(span: Span): void {
  try {
    span.end();
  } catch (error) {
    log.debug('could not end a span', error);
  }
}

/** The stack, if reading it works (a getter can throw). */
function readStack(error: Error): string | undefined {
  try {
    return typeof error.stack === 'string' ? error.stack : undefined;
  } catch {
    return undefined;
  }
}

function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.message || error.name);
    if (typeof error === 'string') return error;
    return String(error);
  } catch {
    return 'Unknown error';
  }
}

function errorType(error: unknown): string {
  try {
    if (error instanceof Error) return String(error.name || error.constructor?.name || 'Error').slice(0, 200);
    return typeof error === 'object' && error !== null
      ? String(error.constructor?.name ?? 'Object').slice(0, 200)
      : typeof error;
  } catch {
    return 'Unknown';
  }
}

function isThenable(value: object): value is PromiseLike<unknown> {
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}

/**
 * A thenable that is not a native promise may be lazy (query builders run when awaited) or carry
 * methods of its own, so it is neither replaced by a promise nor awaited here. It is returned
 * behind a proxy that watches the first `then`: that is when the caller awaits it, and its
 * outcome ends the span. Methods are bound to the target so private fields keep working.
 */
function traceThenable<T extends PromiseLike<unknown>>(plan: TracedCallPlan, thenable: T): T {
  let observed = false;
  return new Proxy(thenable, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property !== 'then' || observed) return value.bind(target);
      return function then(onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) {
        observed = true;
        return value.call(
          target,
          (settled: unknown) => {
            const value = settle(plan, settled);
            return typeof onFulfilled === 'function' ? onFulfilled(value) : value;
          },
          (error: unknown) => {
            endWithError(plan, error);
            if (typeof onRejected === 'function') return onRejected(error);
            throw error;
          },
        );
      };
    },
  });
}

/** A recorder of what a streamed result carries, ending the plan's span when the stream ends. */
function recorderFor(plan: TracedCallPlan): StreamRecorder {
  return new StreamRecorder(
    { succeed: (value) => endWithValue(plan, value), fail: (error) => endWithError(plan, error) },
    plan.maxValueLength,
    plan.onSuccess !== undefined,
  );
}

/**
 * A settled value as the caller gets it: a streamed result (web stream, streaming `Response`,
 * Observable) read through and recorded when it ends; anything else recorded now.
 */
function settle(plan: TracedCallPlan, value: unknown): unknown {
  if (isStreamedResult(value)) {
    try {
      const through = readThrough(value, recorderFor(plan));
      if (through !== undefined) return through;
    } catch (error) {
      log.debug('could not read a streamed result through; it is returned as it is', error);
    }
  }
  endWithValue(plan, value);
  return value;
}

/**
 * Wraps an async generator so that its body runs in the span's context, the yielded chunks are
 * collected (bounded) for the outcome, and the span ends when the generator finishes, throws, or
 * is abandoned through `return()` (a `break` out of `for await`). The wrapper keeps the
 * generator's prototype, so it still looks like an AsyncGenerator.
 */
function traceAsyncGenerator(plan: TracedCallPlan, generator: AsyncGenerator): AsyncGenerator {
  const recorder = recorderFor(plan);
  const collect = (chunk: unknown): void => recorder.collect(chunk);
  const succeed = (): void => recorder.succeed();
  const fail = (error: unknown): void => recorder.fail(error);
  const step = (advance: () => Promise<IteratorResult<unknown>>): Promise<IteratorResult<unknown>> => {
    let pending: Promise<IteratorResult<unknown>>;
    try {
      pending = context.with(plan.context, advance);
    } catch (error) {
      fail(error);
      throw error;
    }
    return pending.then(
      (step) => {
        if (step.done) succeed();
        else collect(step.value);
        return step;
      },
      (error: unknown) => {
        fail(error);
        throw error;
      },
    );
  };

  const wrapper = Object.create(Object.getPrototypeOf(generator)) as AsyncGenerator;
  Object.defineProperties(wrapper, {
    next: {
      value: (...args: [] | [unknown]) => step(() => generator.next(...args)),
      writable: true,
      configurable: true,
    },
    return: { value: (value: unknown) => step(() => generator.return(value)), writable: true, configurable: true },
    throw: { value: (error: unknown) => step(() => generator.throw(error)), writable: true, configurable: true },
    [Symbol.asyncIterator]: {
      value(this: AsyncGenerator) {
        return this;
      },
      writable: true,
      configurable: true,
    },
  });
  return wrapper;
}
