import { type Attributes, context, diag, type Span, SpanKind, trace } from '@opentelemetry/api';
import { boundedIdentifier } from '../common/identifier';
import { nonBlankText } from '../common/text';
import {
  ATTR_AGENTSIGHT_CONVERSATION_ID,
  ATTR_AGENTSIGHT_SPAN_KIND,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
} from '../semconv/attributes';
import {
  AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT,
  AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER,
  AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
  SPAN_NAME_PREFIX_CONVERSATION,
} from '../semconv/values';
import { assertConversationFieldValues, conversationAttributes } from './conversation-attributes';
import { conversationIn, withConversation } from './conversation-context';
import { generateConversationId } from './conversation-id';
import { type DualModeMethodDecorator, methodDecorator } from './method-decorator';
import type {
  ConversationFields,
  MessageInput,
  TrackConversationCallOptions,
  TrackConversationOptions,
} from './options';
import { attempt, resolveOption } from './options';
import type { ParameterRoles } from './parameters';
import { recordMessage } from './records';
import { assertMaxValueLength, resolveMaxValueLength } from './serialize';
import { abandonSpan, runTraced, type TracedCallPlan } from './traced-call';
import { currentTracer } from './tracer';
import { noticeUnrecordedTurn } from './unrecorded-turns';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** One turn, with every option already reduced to a plain value. */
interface Turn {
  readonly fields: ConversationFields;
  readonly humanMessage: unknown;
  readonly agentMessage: ((result: any) => MessageInput | undefined) | undefined;
  readonly spanName: string;
  readonly agentName: string | undefined;
  readonly maxValueLength: number;
}

/**
 * Starts a turn: the conversation span (active, with the conversation in context) and the human
 * message. Returns undefined when tracing cannot start, so the caller just runs the method.
 */
function beginTurn(describe: () => Turn): TracedCallPlan | undefined {
  let span: Span | undefined;
  try {
    const turn = describe();
    const parent = context.active();
    const enclosing = conversationIn(parent);
    const chosen = nonBlankText(turn.fields.conversationId);
    const conversationId =
      (chosen === undefined ? undefined : boundedIdentifier(chosen)) ??
      (enclosing?.[ATTR_AGENTSIGHT_CONVERSATION_ID] as string | undefined) ??
      generateConversationId();
    const conversation = conversationAttributes(conversationId, turn.fields, enclosing, turn.maxValueLength);
    const attributes: Attributes = {
      ...conversation,
      [ATTR_AGENTSIGHT_SPAN_KIND]: AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION,
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
    };
    if (turn.agentName !== undefined) attributes[ATTR_GEN_AI_AGENT_NAME] = turn.agentName;
    span = currentTracer().startSpan(turn.spanName, { kind: SpanKind.INTERNAL, attributes }, parent);
    noticeUnrecordedTurn(span, parent);
    const turnContext = trace.setSpan(withConversation(parent, conversation), span);

    const record = (
      sender: typeof AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT | typeof AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER,
      message: unknown,
    ) => {
      if (message === undefined || message === null) return;
      // A plain object with `content` is a message with metadata and files; anything else is its text.
      const full =
        typeof message === 'object' && 'content' in message ? (message as Exclude<MessageInput, string>) : undefined;
      recordMessage(
        conversation,
        turnContext,
        sender,
        full === undefined ? message : full.content,
        full?.metadata,
        turn.maxValueLength,
        full?.attachments,
      );
    };
    record(AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER, turn.humanMessage);
    const recordReply = (result: unknown): void => {
      const reply: MessageInput | undefined =
        turn.agentMessage !== undefined
          ? attempt('agentMessage', () => turn.agentMessage?.(result))
          : typeof result === 'string'
            ? result
            : undefined;
      record(AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT, reply);
    };
    return { span, context: turnContext, maxValueLength: turn.maxValueLength, onSuccess: recordReply };
  } catch (error) {
    log.warn('could not start tracking a conversation turn; the call runs untracked', error);
    abandonSpan(span);
    return undefined;
  }
}

function spanNameFor(agentName: string | undefined, label: string): string {
  return `${SPAN_NAME_PREFIX_CONVERSATION} ${agentName ?? label}`;
}

/**
 * Tracks one conversation turn around `fn`, which runs at once inside the turn's span; returns
 * what `fn` returns (a promise stays a promise, a sync value stays sync).
 *
 * @example
 * ```ts
 * const reply = await trackConversation({ conversationId, humanMessage: text }, () => agent.chat(text));
 * ```
 */
export function trackConversation<T>(options: TrackConversationCallOptions, fn: () => T): T {
  if (typeof fn !== 'function') {
    throw new TypeError(
      typeof options === 'function'
        ? 'trackConversation(options, fn): the options come first, then the function'
        : 'trackConversation(options, fn): fn must be a function',
    );
  }
  const plan = beginTurn(() => {
    assertMaxValueLength(options?.maxValueLength, 'trackConversation');
    // Option functions (the decorator's style) are called with no arguments, as the decorator
    // would call them with the method's; a function is never recorded as text.
    const fields = fieldsForCall((options ?? {}) as TrackConversationOptions, {}, undefined, []);
    return {
      fields,
      humanMessage: attempt('humanMessage', () => resolveOption(options?.humanMessage, undefined, [])),
      agentMessage: options?.agentMessage,
      spanName: spanNameFor(options?.agentName, fn.name || 'conversation'),
      agentName: options?.agentName,
      maxValueLength: resolveMaxValueLength(options?.maxValueLength),
    };
  });
  return plan === undefined ? fn() : runTraced(plan, fn as (...a: unknown[]) => T, undefined, []);
}

/** The conversation fields that may be functions of the arguments. */
const FIELD_OPTIONS = [
  'conversationId',
  'customerId',
  'customerIpAddress',
  'device',
  'source',
  'language',
  'name',
  'environment',
  'metadata',
] as const satisfies readonly (keyof ConversationFields)[];

/**
 * Reduces the decorator's options to plain values for one call: an explicit option wins over a
 * parameter marked with a parameter decorator.
 */
function fieldsForCall(
  options: TrackConversationOptions,
  roles: ParameterRoles,
  thisArg: unknown,
  args: unknown[],
): ConversationFields {
  const fields: Record<string, unknown> = {};
  for (const field of FIELD_OPTIONS) {
    const option = options[field];
    if (option !== undefined) fields[field] = attempt(field, () => resolveOption(option, thisArg, args));
  }
  if (fields.conversationId === undefined && roles.conversationId !== undefined) {
    fields.conversationId = args[roles.conversationId];
  }
  if (fields.customerId === undefined && roles.customerId !== undefined) {
    fields.customerId = args[roles.customerId];
  }
  return fields as ConversationFields;
}

/**
 * Tracks each call of the decorated method as one conversation turn: a span with the
 * conversation's attributes, the user's message (from `humanMessage` or a `@HumanMessage()`
 * parameter) and the agent's reply (from `agentMessage`, or the result when it is a string).
 * Works with legacy and standard decorators, on sync and async methods and async generators.
 *
 * @example
 * ```ts
 * class ChatService {
 *   @TrackConversation({ name: 'Basic Chat', source: 'api', conversationId: (req: ChatRequest) => req.conversationId,
 *     humanMessage: (req: ChatRequest) => req.message })
 *   async chat(req: ChatRequest): Promise<string> { ... }
 * }
 * ```
 */
export function TrackConversation(options: TrackConversationOptions = {}): DualModeMethodDecorator {
  assertMaxValueLength(options.maxValueLength, '@TrackConversation');
  assertConversationFieldValues(options, '@TrackConversation');
  return methodDecorator('TrackConversation', (method, methodName, roles) => {
    const spanName = spanNameFor(options.agentName, methodName);
    const maxValueLength = resolveMaxValueLength(options.maxValueLength);
    return function trackedConversationTurn(this: unknown, ...args: unknown[]) {
      const plan = beginTurn(() => ({
        fields: fieldsForCall(options, roles, this, args),
        humanMessage:
          options.humanMessage !== undefined
            ? attempt('humanMessage', () => options.humanMessage?.apply(this, args))
            : roles.humanMessage !== undefined
              ? args[roles.humanMessage]
              : undefined,
        agentMessage: options.agentMessage,
        spanName,
        agentName: options.agentName,
        maxValueLength,
      }));
      return plan === undefined ? method.apply(this, args) : runTraced(plan, method, this, args);
    };
  });
}
