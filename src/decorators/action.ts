import { type Attributes, context, diag, type Span, SpanKind, trace } from '@opentelemetry/api';
import { loggable } from '../common/log-text';
import { nonBlankText } from '../common/text';
import {
  ATTR_AGENTSIGHT_ACTION_ARGUMENTS,
  ATTR_AGENTSIGHT_ACTION_METADATA,
  ATTR_AGENTSIGHT_ACTION_NAME,
  ATTR_AGENTSIGHT_ACTION_RESPONSE,
  ATTR_AGENTSIGHT_ACTION_TOOLS_USED,
  ATTR_AGENTSIGHT_SPAN_KIND,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
} from '../semconv/attributes';
import {
  AGENTSIGHT_SPAN_KIND_VALUE_ACTION,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  SPAN_NAME_PREFIX_ACTION,
} from '../semconv/values';
import { metadataJson } from './conversation-attributes';
import { conversationIn } from './conversation-context';
import { maskFor, maskText, maskVersion } from './masking';
import { type DualModeMethodDecorator, methodDecorator } from './method-decorator';
import { attempt, resolveOption, type TrackActionCallOptions, type TrackActionOptions } from './options';
import { assertMaxValueLength, resolveMaxValueLength, toArgumentsJson, toBoundedText } from './serialize';
import { abandonSpan, runTraced, type TracedCallPlan } from './traced-call';
import { currentTracer } from './tracer';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** An action with everything that does not depend on the call worked out once. */
interface CompiledAction {
  begin(thisArg: unknown, args: unknown[]): TracedCallPlan | undefined;
}

/** JSON of a metadata-like option that is a function of the arguments, evaluated per call. */
type PerCallJson = ((thisArg: unknown, args: unknown[]) => string | undefined) | undefined;

/** The per-call evaluator of an option given as a function of the arguments. */
function perCallOption(what: string, option: TrackActionOptions['metadata'], maxValueLength: number): PerCallJson {
  if (typeof option !== 'function') return undefined;
  return (thisArg, args) =>
    metadataJson(
      attempt(what, () => resolveOption(option, thisArg, args)),
      maxValueLength,
      what === 'metadata' ? maskFor('action.metadata') : undefined,
    );
}

function compileAction(options: TrackActionOptions, defaultName: string, where: string): CompiledAction {
  assertMaxValueLength(options.maxValueLength, where);
  const name = nonBlankText(options.name) ?? defaultName;
  const maxValueLength = resolveMaxValueLength(options.maxValueLength);
  const captureArguments = options.captureArguments !== false;
  const captureResponse = options.captureResponse !== false;
  const toolsUsed = perCallOption('toolsUsed', options.toolsUsed, maxValueLength);
  const metadata = perCallOption('metadata', options.metadata, maxValueLength);

  // Plain option values are serialised once; again only if the mask changes (it applies to them).
  let fixedAttributes: Attributes = {};
  let fixedForMask = -1;
  let spanName = '';
  const fixed = (): Attributes => {
    if (fixedForMask === maskVersion()) return fixedAttributes;
    fixedForMask = maskVersion();
    const shownName = maskText(name, 'action.name');
    spanName = `${SPAN_NAME_PREFIX_ACTION} ${shownName}`;
    fixedAttributes = {
      [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_ACTION,
      [ATTR_AGENTSIGHT_ACTION_NAME]: shownName,
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
      [ATTR_GEN_AI_TOOL_NAME]: shownName,
    };
    if (toolsUsed === undefined) {
      const json = metadataJson(options.toolsUsed, maxValueLength);
      if (json !== undefined) fixedAttributes[ATTR_AGENTSIGHT_ACTION_TOOLS_USED] = json;
    }
    if (metadata === undefined) {
      const json = metadataJson(options.metadata, maxValueLength, maskFor('action.metadata'));
      if (json !== undefined) fixedAttributes[ATTR_AGENTSIGHT_ACTION_METADATA] = json;
    }
    return fixedAttributes;
  };
  fixed();

  return {
    begin(thisArg, args) {
      let span: Span | undefined;
      try {
        const parent = context.active();
        const conversation = conversationIn(parent);
        // The conversation is set after the start: an AgentSightSampler finds it in the parent
        // context, and 13 start attributes cost the SDK 2.3× what setting them afterwards does.
        const attributes = fixed();
        span = currentTracer().startSpan(spanName, { kind: SpanKind.INTERNAL, attributes }, parent);
        if (conversation !== undefined) span.setAttributes(conversation);
        if (conversation === undefined) noticeActionOutsideConversation(name);
        if (toolsUsed !== undefined) {
          const json = toolsUsed(thisArg, args);
          if (json !== undefined) span.setAttribute(ATTR_AGENTSIGHT_ACTION_TOOLS_USED, json);
        }
        if (metadata !== undefined) {
          const json = metadata(thisArg, args);
          if (json !== undefined) span.setAttribute(ATTR_AGENTSIGHT_ACTION_METADATA, json);
        }
        if (captureArguments && args.length > 0) {
          const json = toArgumentsJson(args, maxValueLength, maskFor('action.arguments'));
          if (json !== undefined) span.setAttribute(ATTR_AGENTSIGHT_ACTION_ARGUMENTS, json);
        }
        const started = span;
        const onSuccess = captureResponse
          ? (value: unknown) => {
              if (value === undefined) return;
              const text = toBoundedText(value, maxValueLength, maskFor('action.response'));
              if (text !== undefined) started.setAttribute(ATTR_AGENTSIGHT_ACTION_RESPONSE, text);
            }
          : undefined;
        return { span, context: trace.setSpan(parent, span), maxValueLength, onSuccess };
      } catch (error) {
        log.warn(`could not start tracking action ${loggable(name)}; the call runs untracked`, error);
        abandonSpan(span);
        return undefined;
      }
    },
  };
}

/** Action names already warned about: once per name, or a hot tool would flood the log. */
const warnedOutside = new Set<string>();

/**
 * An action outside any conversation still makes its span (Jaeger shows it), but AgentSight
 * cannot take it: it belongs to no conversation. Said once per action name.
 */
function noticeActionOutsideConversation(name: string): void {
  if (warnedOutside.has(name) || warnedOutside.size >= 1_000) return;
  warnedOutside.add(name);
  log.warn(
    `action ${loggable(name)} ran outside a tracked conversation: its span is recorded, but AgentSight ` +
      'cannot take it (call it inside a @TrackConversation method or trackConversation)',
  );
}

/** Compiled functional actions, so a repeated `trackAction('name', ...)` serialises its options once. */
const compiledByName = new Map<string, CompiledAction>();
const compiledByOptions = new WeakMap<object, CompiledAction>();

function compiledFor(nameOrOptions: string | TrackActionCallOptions, fn: () => unknown): CompiledAction {
  if (typeof nameOrOptions === 'string') {
    let action = compiledByName.get(nameOrOptions);
    if (action === undefined) {
      action = compileAction({ name: nameOrOptions }, nameOrOptions, 'trackAction');
      if (compiledByName.size < 1_000) compiledByName.set(nameOrOptions, action);
    }
    return action;
  }
  const options = normaliseOptions(nameOrOptions);
  // Without a name the action is named after `fn`: not the same for every call.
  if (options.name === undefined || typeof nameOrOptions !== 'object' || nameOrOptions === null) {
    return compileAction(options, fn.name || 'action', 'trackAction');
  }
  let action = compiledByOptions.get(nameOrOptions);
  if (action === undefined) {
    action = compileAction(options, fn.name || 'action', 'trackAction');
    compiledByOptions.set(nameOrOptions, action);
  }
  return action;
}

function normaliseOptions<T extends TrackActionOptions | TrackActionCallOptions>(
  nameOrOptions: string | T | undefined,
): T {
  return (typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {})) as T;
}

/**
 * Tracks each call of the decorated method as an action (a tool call or a step): an
 * `execute_tool {name}` span with the arguments and the response; a thrown error becomes the
 * action's `error_msg` and is rethrown unchanged. Inside a tracked conversation the action belongs
 * to it; outside, the span is still recorded but belongs to no conversation.
 *
 * @param nameOrOptions - the action name (default: the method's name) or options
 * @example
 * ```ts
 * class Tools {
 *   @TrackAction({ name: 'calculator', toolsUsed: { tool: 'calculator' } })
 *   calculate(expression: string): number { ... }
 * }
 * ```
 */
export function TrackAction(nameOrOptions?: string | TrackActionOptions): DualModeMethodDecorator {
  const options = normaliseOptions(nameOrOptions);
  assertMaxValueLength(options.maxValueLength, '@TrackAction');
  return methodDecorator('TrackAction', (method, methodName) => {
    const action = compileAction(options, methodName, '@TrackAction');
    return function trackedAction(this: unknown, ...args: unknown[]) {
      const plan = action.begin(this, args);
      return plan === undefined ? method.apply(this, args) : runTraced(plan, method, this, args);
    };
  });
}

/**
 * Tracks `fn` as an action; `fn` runs at once inside the action's span, and its result is
 * returned as it is (a promise stays a promise, a sync value stays sync).
 *
 * @example
 * ```ts
 * const rows = await trackAction('search_orders', () => db.orders.find(query));
 * ```
 */
export function trackAction<T>(nameOrOptions: string | TrackActionCallOptions, fn: () => T): T {
  if (typeof fn !== 'function') {
    throw new TypeError(
      typeof nameOrOptions === 'function'
        ? 'trackAction(nameOrOptions, fn): the name or options come first, then the function'
        : 'trackAction(nameOrOptions, fn): fn must be a function',
    );
  }
  let action: CompiledAction | undefined;
  try {
    action = compiledFor(nameOrOptions, fn);
  } catch (error) {
    log.warn('trackAction: invalid options; the call runs untracked', error);
  }
  const plan = action?.begin(undefined, []);
  return plan === undefined ? fn() : runTraced(plan, fn as (...a: unknown[]) => T, undefined, []);
}
