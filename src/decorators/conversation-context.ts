import { type Attributes, type Context, context, createContextKey } from '@opentelemetry/api';
import { AGENTSIGHT_CONTEXT_KEY_CONVERSATION } from '../semconv/values';

/**
 * The attributes that make a span self-describing: the conversation id (AgentSight and GenAI
 * keys) and the conversation's descriptive fields. Frozen, and shared by every span of the turn.
 */
export type ConversationAttributes = Readonly<Attributes>;

const CONVERSATION_KEY = createContextKey(AGENTSIGHT_CONTEXT_KEY_CONVERSATION);

/** Returns a context in which `conversation` is the active conversation. */
export function withConversation(parent: Context, conversation: ConversationAttributes): Context {
  return parent.setValue(CONVERSATION_KEY, conversation);
}

/** The conversation of `ctx`, if any. */
export function conversationIn(ctx: Context): ConversationAttributes | undefined {
  return ctx.getValue(CONVERSATION_KEY) as ConversationAttributes | undefined;
}

/** The conversation active in the current context, if any. */
export function activeConversation(): ConversationAttributes | undefined {
  return conversationIn(context.active());
}
