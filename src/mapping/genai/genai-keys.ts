import type { Attributes } from '@opentelemetry/api';
import { boundedIdentifier } from '../../common/identifier';
import { nonBlankText } from '../../common/text';

/*
 * Where GenAI telemetry names its conversation and its user, by instrumentation. The first key a
 * span carries wins. Listed in docs/semconv.md ("Zero code").
 */

/** Attributes that name the conversation: OTel GenAI, OpenInference, Vercel AI SDK 7 and older, OpenLLMetry. */
export const GENAI_CONVERSATION_KEYS: readonly string[] = [
  'gen_ai.conversation.id',
  'session.id',
  'ai.settings.context.conversationId',
  'ai.settings.context.sessionId',
  'ai.telemetry.metadata.conversationId',
  'ai.telemetry.metadata.sessionId',
  'traceloop.association.properties.conversation_id',
  'traceloop.association.properties.session_id',
];

/** Attributes that name the user (the conversation's customer). */
export const GENAI_USER_KEYS: readonly string[] = [
  'user.id',
  'enduser.id',
  'ai.settings.context.userId',
  'ai.telemetry.metadata.userId',
  'traceloop.association.properties.user_id',
];

/** The first of `keys` a span carries, as a bounded identifier. */
export function firstIdentifier(attributes: Attributes, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = nonBlankText(attributes[key]);
    if (value !== undefined) return boundedIdentifier(value);
  }
  return undefined;
}

/** The conversation a GenAI span names itself (not its ancestors'), or undefined. */
export function genAiConversationOf(attributes: Attributes, extraKeys: readonly string[] = []): string | undefined {
  return firstIdentifier(
    attributes,
    extraKeys.length === 0 ? GENAI_CONVERSATION_KEYS : [...extraKeys, ...GENAI_CONVERSATION_KEYS],
  );
}

/** Attributes that hold an LLM call's messages, in any of the forms read. */
const CONTENT_KEYS: readonly string[] = [
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.prompt.0.role',
  'gen_ai.completion.0.role',
  'llm.input_messages.0.message.role',
  'llm.output_messages.0.message.role',
  'ai.prompt.messages',
  'ai.response.text',
];

/** Attributes of a tool's execution. */
const TOOL_KEYS: readonly string[] = [
  'gen_ai.tool.call.id',
  'gen_ai.tool.call.arguments',
  'ai.toolCall.name',
  'openinference.span.kind',
];

/** Whether a span carries an LLM call's messages. */
export function hasGenAiContent(attributes: Attributes): boolean {
  return CONTENT_KEYS.some((key) => attributes[key] !== undefined);
}

/** Whether a span is GenAI telemetry AgentSight reads: messages, a tool's execution, or an operation. */
export function isGenAiSpan(attributes: Attributes): boolean {
  return (
    attributes['gen_ai.operation.name'] !== undefined ||
    hasGenAiContent(attributes) ||
    TOOL_KEYS.some((key) => attributes[key] !== undefined)
  );
}
