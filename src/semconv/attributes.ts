/*
 * Attribute keys emitted or read by agentsight-otel.
 *
 * Constants only. The `gen_ai.*` keys are copied from the OpenTelemetry GenAI semantic conventions
 * (rather than imported from `@opentelemetry/semantic-conventions/incubating`, whose README asks
 * libraries not to load it at runtime); the key strings are those of the conventions.
 */

// ---------------------------------------------------------------------------------------------
// AgentSight keys: on every AgentSight span
// ---------------------------------------------------------------------------------------------

/**
 * What an AgentSight span records: one of the `AGENTSIGHT_SPAN_KIND_VALUE_*` values.
 *
 * @example "conversation"
 * @experimental
 */
export const ATTR_AGENTSIGHT_SPAN_KIND = 'agentsight.span.kind' as const;

/**
 * The caller's string id of the conversation a span belongs to. A span without it belongs to no
 * conversation and is ignored by the exporter.
 *
 * @example "conv_5177b72be8b1"
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_ID = 'agentsight.conversation.id' as const;

// ---------------------------------------------------------------------------------------------
// Conversation descriptive fields: stamped on every span of a conversation, so that any one span
// is enough to create the conversation record.
// ---------------------------------------------------------------------------------------------

/**
 * Conversation title (AgentSight limits it to 255 characters).
 *
 * @example "Advanced Chat"
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_NAME = 'agentsight.conversation.name' as const;

/**
 * Stable id of the end user; drives AgentSight's "individual users" metric.
 *
 * @example "user-456"
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID = 'agentsight.conversation.customer_id' as const;

/**
 * End user's IP address; AgentSight geolocates it.
 *
 * @example "203.0.113.7"
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS = 'agentsight.conversation.customer_ip_address' as const;

/**
 * Device class of the end user: one of the `AGENTSIGHT_CONVERSATION_DEVICE_VALUE_*` values.
 *
 * @example "desktop"
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_DEVICE = 'agentsight.conversation.device' as const;

/**
 * Channel the conversation came through (free text).
 *
 * @example "api"
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_SOURCE = 'agentsight.conversation.source' as const;

/**
 * Language of the conversation (free text, usually a BCP 47 tag).
 *
 * @example "es-ES"
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE = 'agentsight.conversation.language' as const;

/**
 * Environment chosen explicitly for the conversation: one of the
 * `AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUE_*` values. When absent the exporter's configured
 * environment applies.
 *
 * @example "production"
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_ENVIRONMENT = 'agentsight.conversation.environment' as const;

/**
 * Conversation metadata as a JSON object string.
 *
 * @example '{"plan":"pro"}'
 * @experimental
 */
export const ATTR_AGENTSIGHT_CONVERSATION_METADATA = 'agentsight.conversation.metadata' as const;

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/**
 * Who wrote a message: one of the `AGENTSIGHT_MESSAGE_SENDER_VALUE_*` values.
 *
 * @example "end_user"
 * @experimental
 */
export const ATTR_AGENTSIGHT_MESSAGE_SENDER = 'agentsight.message.sender' as const;

/**
 * Text of a message.
 *
 * @example "What is 127 multiplied by 8?"
 * @experimental
 */
export const ATTR_AGENTSIGHT_MESSAGE_CONTENT = 'agentsight.message.content' as const;

/**
 * Message metadata as a JSON object string.
 *
 * @example '{"channel":"widget"}'
 * @experimental
 */
export const ATTR_AGENTSIGHT_MESSAGE_METADATA = 'agentsight.message.metadata' as const;

// ---------------------------------------------------------------------------------------------
// Actions (tools and steps)
// ---------------------------------------------------------------------------------------------

/**
 * Name of an action; its identity in AgentSight's analytics.
 *
 * @example "calculator"
 * @experimental
 */
export const ATTR_AGENTSIGHT_ACTION_NAME = 'agentsight.action.name' as const;

/**
 * Tools an action used, as a JSON object string.
 *
 * @example '{"tool":"calculator"}'
 * @experimental
 */
export const ATTR_AGENTSIGHT_ACTION_TOOLS_USED = 'agentsight.action.tools_used' as const;

/**
 * Action metadata as a JSON object string.
 *
 * @example '{"retries":0}'
 * @experimental
 */
export const ATTR_AGENTSIGHT_ACTION_METADATA = 'agentsight.action.metadata' as const;

/**
 * The action's arguments as a JSON array string (possibly truncated, then no longer valid JSON).
 *
 * @example '["127 * 8"]'
 * @experimental
 */
export const ATTR_AGENTSIGHT_ACTION_ARGUMENTS = 'agentsight.action.arguments' as const;

/**
 * The action's output: a returned string as it is, any other value as JSON.
 *
 * @example "1016"
 * @experimental
 */
export const ATTR_AGENTSIGHT_ACTION_RESPONSE = 'agentsight.action.response' as const;

// ---------------------------------------------------------------------------------------------
// Buttons
// ---------------------------------------------------------------------------------------------

/**
 * What a group of buttons is for; AgentSight groups clicks by it.
 *
 * @example "satisfaction_survey"
 * @experimental
 */
export const ATTR_AGENTSIGHT_BUTTON_EVENT = 'agentsight.button.event' as const;

/**
 * Text of the clicked button as the user saw it.
 *
 * @example "Very helpful"
 * @experimental
 */
export const ATTR_AGENTSIGHT_BUTTON_LABEL = 'agentsight.button.label' as const;

/**
 * Value of the clicked button.
 *
 * @example "5"
 * @experimental
 */
export const ATTR_AGENTSIGHT_BUTTON_VALUE = 'agentsight.button.value' as const;

/**
 * Button metadata as a JSON object string.
 *
 * @example '{"position":1}'
 * @experimental
 */
export const ATTR_AGENTSIGHT_BUTTON_METADATA = 'agentsight.button.metadata' as const;

/**
 * Sentiment of feedback recorded in a conversation: `positive`, `neutral` or `negative`.
 *
 * @example 'positive'
 * @experimental
 */
export const ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT = 'agentsight.feedback.sentiment' as const;

/**
 * The end user's comment on the conversation (at most 5000 characters).
 *
 * @example 'Solved my problem'
 * @experimental
 */
export const ATTR_AGENTSIGHT_FEEDBACK_COMMENT = 'agentsight.feedback.comment' as const;

/**
 * Feedback metadata as a JSON object string.
 *
 * @example '{"page":"checkout"}'
 * @experimental
 */
export const ATTR_AGENTSIGHT_FEEDBACK_METADATA = 'agentsight.feedback.metadata' as const;

/**
 * Files attached to a message (on a message span) or tracked on their own (on an `attachments`
 * span), as a JSON array of descriptors: `{"id","filename","mime_type","size","sha256"}`, plus
 * `"dropped"` (the reason) for a file that will not be delivered. `mime_type` is absent while it is
 * unknown (a file path or Blob of no stated type is sniffed when sent); `sha256` is absent for a file
 * path or Blob (they are read when sent). The bytes never travel on spans: `id` names them in the
 * process's attachment store, from which the AgentSight exporter takes them.
 *
 * @example '[{"id":"9f2c…","filename":"photo.png","mime_type":"image/png","size":48213,"sha256":"1b4f…"}]'
 * @experimental
 */
export const ATTR_AGENTSIGHT_ATTACHMENTS = 'agentsight.attachments' as const;

// ---------------------------------------------------------------------------------------------
// Token usage recorded by hand (`trackTokenUsage`). Prompt and completion counts use the GenAI
// keys below; these two have no GenAI equivalent.
// ---------------------------------------------------------------------------------------------

/**
 * Total tokens, when the caller states it (otherwise prompt + completion is used).
 *
 * @example 42
 * @experimental
 */
export const ATTR_AGENTSIGHT_USAGE_TOTAL_TOKENS = 'agentsight.usage.total_tokens' as const;

/**
 * Embedding tokens.
 *
 * @example 512
 * @experimental
 */
export const ATTR_AGENTSIGHT_USAGE_EMBEDDING_TOKENS = 'agentsight.usage.embedding_tokens' as const;

// ---------------------------------------------------------------------------------------------
// OpenTelemetry GenAI and general keys that we set
// ---------------------------------------------------------------------------------------------

/**
 * GenAI conversation id; always equal to {@link ATTR_AGENTSIGHT_CONVERSATION_ID}.
 *
 * @example "conv_5177b72be8b1"
 * @experimental In the GenAI conventions, which are still in development.
 */
export const ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id' as const;

/**
 * GenAI operation: `invoke_agent` on conversation turns, `execute_tool` on actions.
 *
 * @example "execute_tool"
 * @experimental In the GenAI conventions, which are still in development.
 */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;

/**
 * GenAI agent name, set on a conversation turn when `agentName` is given.
 *
 * @example "support-bot"
 * @experimental In the GenAI conventions, which are still in development.
 */
export const ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name' as const;

/**
 * GenAI tool name; required on `execute_tool` spans.
 *
 * @example "calculator"
 * @experimental In the GenAI conventions, which are still in development.
 */
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name' as const;

/**
 * Class of error an operation ended with (stable OTel key).
 *
 * @example "RangeError"
 */
export const ATTR_ERROR_TYPE = 'error.type' as const;

// ---------------------------------------------------------------------------------------------
// Token usage keys we read from spans of any instrumentation (and set on `trackTokenUsage` spans)
// ---------------------------------------------------------------------------------------------

/**
 * GenAI input (prompt) tokens. Set by `@opentelemetry/instrumentation-openai` and by
 * `trackTokenUsage`.
 *
 * @example 100
 * @experimental In the GenAI conventions, which are still in development.
 */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens' as const;

/**
 * GenAI output (completion) tokens.
 *
 * @example 180
 * @experimental In the GenAI conventions, which are still in development.
 */
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens' as const;

/**
 * Older GenAI name of the input token count (OpenLLMetry and early instrumentations).
 *
 * @deprecated Replaced by {@link ATTR_GEN_AI_USAGE_INPUT_TOKENS} in the conventions; still read.
 */
export const ATTR_GEN_AI_USAGE_PROMPT_TOKENS = 'gen_ai.usage.prompt_tokens' as const;

/**
 * Older GenAI name of the output token count.
 *
 * @deprecated Replaced by {@link ATTR_GEN_AI_USAGE_OUTPUT_TOKENS} in the conventions; still read.
 */
export const ATTR_GEN_AI_USAGE_COMPLETION_TOKENS = 'gen_ai.usage.completion_tokens' as const;

/**
 * Total tokens as OpenLLMetry records it.
 *
 * @example 280
 */
export const ATTR_LLM_USAGE_TOTAL_TOKENS = 'llm.usage.total_tokens' as const;

/**
 * OpenInference prompt token count.
 *
 * @example 100
 */
export const ATTR_LLM_TOKEN_COUNT_PROMPT = 'llm.token_count.prompt' as const;

/**
 * OpenInference completion token count.
 *
 * @example 180
 */
export const ATTR_LLM_TOKEN_COUNT_COMPLETION = 'llm.token_count.completion' as const;

/**
 * OpenInference total token count.
 *
 * @example 280
 */
export const ATTR_LLM_TOKEN_COUNT_TOTAL = 'llm.token_count.total' as const;
