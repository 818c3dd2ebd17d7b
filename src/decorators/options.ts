import { diag } from '@opentelemetry/api';
import type { Attachment } from '../attachments';
import type {
  AGENTSIGHT_CONVERSATION_DEVICE_VALUES,
  AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES,
} from '../semconv/values';

/** A JSON-like object of extra facts about a conversation, message, action or button. */
export type Metadata = Record<string, unknown>;

/** Device classes AgentSight charts. */
export type ConversationDevice = (typeof AGENTSIGHT_CONVERSATION_DEVICE_VALUES)[number];

/** AgentSight environments: development data stays out of analytics. */
export type ConversationEnvironment = (typeof AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES)[number];

/**
 * An option given either as a value or as a function of the decorated method's arguments
 * (called with the method's `this`).
 */
export type ValueOrFactory<T, Args extends unknown[]> = T | ((...args: Args) => T);

/**
 * A message as the options give it: its text, or text plus metadata and files (delivered after
 * the message, linked to it).
 */
export type MessageInput =
  | string
  | {
      /** The message's text. */
      content: string;
      /** The message's metadata (a JSON object). */
      metadata?: Metadata;
      /** Files sent with the message (see Attachments). */
      attachments?: readonly Attachment[];
    };

/** What `agentMessage` may pick out of a turn's result: a {@link MessageInput}. */
export type AgentReply = MessageInput;

/** The conversation's descriptive fields, as plain values (the functional form's options). */
export interface ConversationFields {
  /** The caller's conversation id. Default: the enclosing conversation's, else a generated one. */
  conversationId?: string;
  /** Stable id of the end user. */
  customerId?: string;
  /** End user's IP address (AgentSight geolocates it). */
  customerIpAddress?: string;
  /** Device class of the end user. */
  device?: ConversationDevice;
  /** Channel, such as `web`, `whatsapp`, `api`, `voice_call`. */
  source?: string;
  /** Language, such as `en` or `es-ES`. */
  language?: string;
  /** Conversation title (AgentSight keeps 255 characters). */
  name?: string;
  /** Environment of this conversation; default `AGENTSIGHT_ENVIRONMENT`, else `development`. */
  environment?: ConversationEnvironment;
  /** Conversation metadata. */
  metadata?: Metadata;
}

/** Options shared by the conversation decorator and its functional form. */
interface ConversationBehaviour<Result> {
  /**
   * Picks the agent's reply out of the turn's result (for an async generator: the yielded
   * chunks, strings joined, else an array). Default: the result itself when it is a string.
   */
  agentMessage?: (result: Result) => AgentReply | undefined;
  /** Agent name: sets `gen_ai.agent.name` and names the span `invoke_agent {agentName}`. */
  agentName?: string;
  /** Longest text recorded from this turn; default `AGENTSIGHT_MAX_VALUE_LENGTH`, else 32768. */
  maxValueLength?: number;
}

/**
 * Options of `@TrackConversation`. Every field may also be a function of the method's arguments.
 *
 * @typeParam Args - the decorated method's parameters
 * @typeParam Result - what `agentMessage` receives (the awaited result of the method)
 */
export interface TrackConversationOptions<Args extends unknown[] = any[], Result = any>
  extends ConversationBehaviour<Result> {
  /** @see ConversationFields.conversationId */
  conversationId?: ValueOrFactory<string | undefined, Args>;
  /** @see ConversationFields.customerId */
  customerId?: ValueOrFactory<string | undefined, Args>;
  /** @see ConversationFields.customerIpAddress */
  customerIpAddress?: ValueOrFactory<string | undefined, Args>;
  /** @see ConversationFields.device */
  device?: ValueOrFactory<ConversationDevice | undefined, Args>;
  /** @see ConversationFields.source */
  source?: ValueOrFactory<string | undefined, Args>;
  /** @see ConversationFields.language */
  language?: ValueOrFactory<string | undefined, Args>;
  /** @see ConversationFields.name */
  name?: ValueOrFactory<string | undefined, Args>;
  /** @see ConversationFields.environment */
  environment?: ValueOrFactory<ConversationEnvironment | undefined, Args>;
  /** @see ConversationFields.metadata */
  metadata?: ValueOrFactory<Metadata | undefined, Args>;
  /**
   * Picks the user's message out of the arguments (or mark the parameter with `@HumanMessage()`):
   * its text, or text with metadata and files.
   */
  humanMessage?: (...args: Args) => MessageInput | undefined;
}

/** Options of the functional `trackConversation(options, fn)`: plain values. */
export interface TrackConversationCallOptions<Result = any> extends ConversationFields, ConversationBehaviour<Result> {
  /** The user's message that starts this turn: its text, or text with metadata and files. */
  humanMessage?: MessageInput;
}

/** Options of `@TrackAction` and `trackAction`. */
export interface TrackActionOptions<Args extends unknown[] = any[]> {
  /** Action name; default the method's name. */
  name?: string;
  /** Tools the action used (a JSON object), or a function of the arguments returning it. */
  toolsUsed?: ValueOrFactory<Metadata | undefined, Args>;
  /** Action metadata, or a function of the arguments returning it. */
  metadata?: ValueOrFactory<Metadata | undefined, Args>;
  /** Record the arguments (into the action's metadata as `arguments`). Default true. */
  captureArguments?: boolean;
  /** Record the return value as the action's `response`. Default true. */
  captureResponse?: boolean;
  /** Longest text recorded from this action; default `AGENTSIGHT_MAX_VALUE_LENGTH`, else 32768. */
  maxValueLength?: number;
}

/** Options of the functional `trackAction`: like the decorator's, with plain values. */
export type TrackActionCallOptions = Omit<TrackActionOptions, 'toolsUsed' | 'metadata'> & {
  /** Tools the action used. */
  toolsUsed?: Metadata;
  /** Action metadata. */
  metadata?: Metadata;
};

/** A button click, for `trackButton`. */
export interface ButtonClick {
  /** What the group of buttons is for; AgentSight groups clicks by it. */
  event: string;
  /** Text the user saw. */
  label: string;
  /** Value of the button. */
  value: string;
  /** Extra facts. */
  metadata?: Metadata;
}

/** Feedback on the conversation, for `trackFeedback`. */
export interface Feedback {
  /** How the end user felt about the conversation. */
  sentiment: 'positive' | 'neutral' | 'negative';
  /** Their words (AgentSight keeps at most 5000 characters). */
  comment?: string;
  /** Extra facts. */
  metadata?: Metadata;
}

/** Token counts, for `trackTokenUsage`. Missing counts are 0; `totalTokens` defaults to prompt + completion. */
export interface TokenUsage {
  /** Prompt (input) tokens. */
  promptTokens?: number;
  /** Completion (output) tokens. */
  completionTokens?: number;
  /** Total tokens, when the provider states it. */
  totalTokens?: number;
  /** Embedding tokens. */
  embeddingTokens?: number;
}

/** Evaluates a value-or-factory option against the call's `this` and arguments. */
export function resolveOption<T>(option: T | ((...args: any[]) => T), thisArg: unknown, args: unknown[]): T {
  return typeof option === 'function' ? (option as (...a: unknown[]) => T).apply(thisArg, args) : option;
}

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/**
 * Runs a user-supplied option function; one that throws costs its own value (with a warning),
 * never the user's call.
 */
export function attempt<T>(what: string, run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    log.warn(`the ${what} option threw; its value was left out`, error);
    return undefined;
  }
}
