import { randomUUID } from 'node:crypto';

/**
 * A new conversation id in the form AgentSight's SDK makes: `conv_` and 12 hex characters
 * taken from a random UUID (e.g. `conv_5177b72be8b1`).
 */
export function generateConversationId(): string {
  const uuid = randomUUID();
  return `conv_${uuid.slice(0, 8)}${uuid.slice(9, 13)}`;
}
