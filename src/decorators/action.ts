import { type Attributes, context, diag, type Span, SpanKind, trace } from '@opentelemetry/api';
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
import { type DualModeMethodDecorator, methodDecorator } from './method-decorator';
import { attempt, resolveOption, type TrackActionCallOptions, type TrackActionOptions } from './options';
import { assertMaxValueLength, resolveMaxValueLength, toBoundedText } from './serialize';
import { abandonSpan, runTraced, type TracedCallPlan } from './traced-call';
import { currentTracer } from './tracer';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** An action with everything that does not depend on the call worked out once. */
interface CompiledAction {
  begin(thisArg: unknown, args: unknown[]): TracedCallPlan | undefined;
}

/** JSON of a metadata-like option that is a function of the arguments, evaluated per call. */
type PerCallJson = ((thisArg: unknown, args: unknown[]) => string | undefined) | undefined;

/**
 * Splits an object option into its fixed JSON (computed now) or a per-call evaluator (when the
 * option is a function of the arguments).
 */
function objectOption(
  what: string,
  option: TrackActionOptions['metadata'],
  maxValueLength: number,
): { fixed: string | undefined; perCall: PerCallJson } {
  if (typeof option !== 'function') return { fixed: metadataJson(option, maxValueLength), perCall: undefined };
  return {
    fixed: undefined,
    perCall: (thisArg, args) =>
      metadataJson(
        attempt(what, () => resolveOption(option, thisArg, args)),
        maxValueLength,
      ),
  };
}

function compileAction(options: TrackActionOptions, defaultName: string, where: string): CompiledAction {
  assertMaxValueLength(options.maxValueLength, where);
  const name = nonBlankText(options.name) ?? defaultName;
  const spanName = `${SPAN_NAME_PREFIX_ACTION} ${name}`;
  const maxValueLength = resolveMaxValueLength(options.maxValueLength);
  const captureArguments = options.captureArguments !== false;
  const captureResponse = options.captureResponse !== false;
  const toolsUsed = objectOption('toolsUsed', options.toolsUsed, maxValueLength);
  const metadata = objectOption('metadata', options.metadata, maxValueLength);

  const fixedAttributes: Attributes = {
    [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_ACTION,
    [ATTR_AGENTSIGHT_ACTION_NAME]: name,
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
    [ATTR_GEN_AI_TOOL_NAME]: name,
  };
  if (toolsUsed.fixed !== undefined) fixedAttributes[ATTR_AGENTSIGHT_ACTION_TOOLS_USED] = toolsUsed.fixed;
  if (metadata.fixed !== undefined) fixedAttributes[ATTR_AGENTSIGHT_ACTION_METADATA] = metadata.fixed;

  return {
    begin(thisArg, args) {
      let span: Span | undefined;
      try {
        const parent = context.active();
        span = currentTracer().startSpan(spanName, { kind: SpanKind.INTERNAL, attributes: fixedAttributes }, parent);
        const conversation = conversationIn(parent);
        if (conversation !== undefined) span.setAttributes(conversation);
        if (toolsUsed.perCall !== undefined) {
          const json = toolsUsed.perCall(thisArg, args);
          if (json !== undefined) span.setAttribute(ATTR_AGENTSIGHT_ACTION_TOOLS_USED, json);
        }
        if (metadata.perCall !== undefined) {
          const json = metadata.perCall(thisArg, args);
          if (json !== undefined) span.setAttribute(ATTR_AGENTSIGHT_ACTION_METADATA, json);
        }
        if (captureArguments && args.length > 0) {
          const json = toBoundedText(args, maxValueLength);
          if (json !== undefined) span.setAttribute(ATTR_AGENTSIGHT_ACTION_ARGUMENTS, json);
        }
        const started = span;
        const onSuccess = captureResponse
          ? (value: unknown) => {
              if (value === undefined) return;
              const text = toBoundedText(value, maxValueLength);
              if (text !== undefined) started.setAttribute(ATTR_AGENTSIGHT_ACTION_RESPONSE, text);
            }
          : undefined;
        return { span, context: trace.setSpan(parent, span), maxValueLength, onSuccess };
      } catch (error) {
        log.warn(`could not start tracking action ${name}; the call runs untracked`, error);
        abandonSpan(span);
        return undefined;
      }
    },
  };
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
  const options = normaliseOptions(nameOrOptions);
  let action: CompiledAction | undefined;
  try {
    action = compileAction(options, fn.name || 'action', 'trackAction');
  } catch (error) {
    log.warn('trackAction: invalid options; the call runs untracked', error);
  }
  const plan = action?.begin(undefined, []);
  return plan === undefined ? fn() : runTraced(plan, fn as (...a: unknown[]) => T, undefined, []);
}
