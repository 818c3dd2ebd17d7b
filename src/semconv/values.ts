/*
 * Enumerated attribute values, span names and the context key name. Constants only.
 */

// --- agentsight.span.kind -------------------------------------------------------------------

/** A conversation turn: the span around the method decorated with `@TrackConversation`. */
export const AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION = 'conversation' as const;
/** An action (tool or step): the span around a method decorated with `@TrackAction`. */
export const AGENTSIGHT_SPAN_KIND_VALUE_ACTION = 'action' as const;
/** A human or agent message: a zero-length span recorded when the message happens. */
export const AGENTSIGHT_SPAN_KIND_VALUE_MESSAGE = 'message' as const;
/** A button click: a zero-length span. */
export const AGENTSIGHT_SPAN_KIND_VALUE_BUTTON = 'button' as const;
/** Token usage recorded by hand with `trackTokenUsage`: a zero-length span. */
export const AGENTSIGHT_SPAN_KIND_VALUE_TOKEN_USAGE = 'token_usage' as const;
/**
 * A conversation initialised with `initializeConversation` (a possible interaction, e.g. a chat
 * widget loaded): a zero-length span; alone it creates the conversation with `is_used: false`.
 */
export const AGENTSIGHT_SPAN_KIND_VALUE_INITIALIZE = 'initialize' as const;
/** Feedback on the conversation recorded with `trackFeedback`: a zero-length span. */
export const AGENTSIGHT_SPAN_KIND_VALUE_FEEDBACK = 'feedback' as const;
/**
 * Files tracked on their own with `trackAttachments` (not attached to a message): a zero-length
 * span carrying `agentsight.attachments`, `agentsight.message.sender` and optional
 * `agentsight.message.metadata`.
 */
export const AGENTSIGHT_SPAN_KIND_VALUE_ATTACHMENTS = 'attachments' as const;

// --- agentsight.feedback.sentiment ----------------------------------------------------------

/** Every `agentsight.feedback.sentiment` value (agentsight-api.md §5.4). */
export const AGENTSIGHT_FEEDBACK_SENTIMENT_VALUES = ['positive', 'neutral', 'negative'] as const;

// --- agentsight.message.sender --------------------------------------------------------------

/** The message was written by the end user (AgentSight's `end_user`). */
export const AGENTSIGHT_MESSAGE_SENDER_VALUE_END_USER = 'end_user' as const;
/** The message was written by the agent. */
export const AGENTSIGHT_MESSAGE_SENDER_VALUE_AGENT = 'agent' as const;

// --- agentsight.conversation.device ---------------------------------------------------------

/** A desktop browser or app. */
export const AGENTSIGHT_CONVERSATION_DEVICE_VALUE_DESKTOP = 'desktop' as const;
/** A phone. */
export const AGENTSIGHT_CONVERSATION_DEVICE_VALUE_MOBILE = 'mobile' as const;
/** A tablet (named by AgentSight's dashboard, not by the Python SDK's types). */
export const AGENTSIGHT_CONVERSATION_DEVICE_VALUE_TABLET = 'tablet' as const;

// --- agentsight.conversation.environment ----------------------------------------------------

/** Production data: counted in AgentSight's analytics. */
export const AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUE_PRODUCTION = 'production' as const;
/** Development data: shown in "Development Mode", left out of analytics. The default. */
export const AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUE_DEVELOPMENT = 'development' as const;

// --- gen_ai.operation.name ------------------------------------------------------------------

/** GenAI operation of a conversation turn. */
export const GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT = 'invoke_agent' as const;
/** GenAI operation of an action. */
export const GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL = 'execute_tool' as const;
/** GenAI operation of an embeddings call: its input tokens count as embedding tokens. */
export const GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS = 'embeddings' as const;

// --- span names -----------------------------------------------------------------------------

/** Span name of a conversation turn, followed by a space and the agent or method name. */
export const SPAN_NAME_PREFIX_CONVERSATION = 'invoke_agent' as const;
/** Span name of an action, followed by a space and the action name (`execute_tool calculator`). */
export const SPAN_NAME_PREFIX_ACTION = 'execute_tool' as const;
/** Span name of a human message. */
export const SPAN_NAME_HUMAN_MESSAGE = 'agentsight.human_message' as const;
/** Span name of an agent message. */
export const SPAN_NAME_AGENT_MESSAGE = 'agentsight.agent_message' as const;
/** Span name of a button click. */
export const SPAN_NAME_BUTTON = 'agentsight.button' as const;
/** Span name of a token usage record. */
export const SPAN_NAME_TOKEN_USAGE = 'agentsight.token_usage' as const;
/** Span name of an initialised conversation. */
export const SPAN_NAME_INITIALIZE = 'agentsight.initialize_conversation' as const;
/** Span name of a feedback record. */
export const SPAN_NAME_FEEDBACK = 'agentsight.feedback' as const;
/** Span name of files tracked on their own. */
export const SPAN_NAME_ATTACHMENTS = 'agentsight.attachments' as const;

// --- names shared by the instrumentation and the exporter side ------------------------------

/** Instrumentation scope name of the spans agentsight-otel makes. */
export const AGENTSIGHT_INSTRUMENTATION_SCOPE = 'agentsight-otel' as const;

/**
 * Name of the OTel context key holding the active conversation's attributes. OTel context keys
 * are `Symbol.for(name)`, so the decorators (which write it) and the span processor (which reads
 * it) agree on the key without importing each other.
 */
export const AGENTSIGHT_CONTEXT_KEY_CONVERSATION = 'agentsight.conversation' as const;

// --- value lists (for checks; the same constants as above) ----------------------------------

/** Every `agentsight.conversation.device` value. */
export const AGENTSIGHT_CONVERSATION_DEVICE_VALUES = [
  AGENTSIGHT_CONVERSATION_DEVICE_VALUE_DESKTOP,
  AGENTSIGHT_CONVERSATION_DEVICE_VALUE_MOBILE,
  AGENTSIGHT_CONVERSATION_DEVICE_VALUE_TABLET,
] as const;

/** Every `agentsight.conversation.environment` value. */
export const AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES = [
  AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUE_PRODUCTION,
  AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUE_DEVELOPMENT,
] as const;

/**
 * Name (for `Symbol.for`) of the process-wide set of listeners told when a conversation turn's
 * span is not recorded because the application's sampler dropped it. The decorators call them;
 * `AgentSightSpanProcessor` listens, so such losses are counted and reported instead of silent.
 */
export const AGENTSIGHT_GLOBAL_KEY_UNRECORDED_TURN_LISTENERS = 'agentsight.unrecorded_turn_listeners' as const;
