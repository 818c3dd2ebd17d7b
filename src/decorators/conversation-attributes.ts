import { type Attributes, diag } from '@opentelemetry/api';
import { boundedIdentifier } from '../common/identifier';
import { loggable } from '../common/log-text';
import { nonBlankText } from '../common/text';
import { truncate } from '../common/truncate';
import {
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID,
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS,
  ATTR_AGENTSIGHT_CONVERSATION_DEVICE,
  ATTR_AGENTSIGHT_CONVERSATION_ENVIRONMENT,
  ATTR_AGENTSIGHT_CONVERSATION_ID,
  ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE,
  ATTR_AGENTSIGHT_CONVERSATION_METADATA,
  ATTR_AGENTSIGHT_CONVERSATION_NAME,
  ATTR_AGENTSIGHT_CONVERSATION_SOURCE,
  ATTR_GEN_AI_CONVERSATION_ID,
} from '../semconv/attributes';
import { AGENTSIGHT_CONVERSATION_DEVICE_VALUES, AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES } from '../semconv/values';
import type { StringTransform } from './bounded-json';
import type { ConversationAttributes } from './conversation-context';
import { maskFor, maskText } from './masking';
import type { ConversationFields } from './options';
import { toBoundedJson } from './serialize';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

const DEVICES: ReadonlySet<unknown> = new Set(AGENTSIGHT_CONVERSATION_DEVICE_VALUES);
const ENVIRONMENTS: ReadonlySet<unknown> = new Set(AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES);

/**
 * Identifier-like fields of a conversation, the attribute each one is stamped under, and the mask
 * field of those that can carry personal data.
 */
const IDENTIFIER_FIELDS = [
  ['customerId', ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID, 'conversation.customer_id'],
  ['customerIpAddress', ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS, 'conversation.customer_ip_address'],
  ['source', ATTR_AGENTSIGHT_CONVERSATION_SOURCE, undefined],
  ['language', ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE, undefined],
] as const;

/**
 * Checks the fields that only accept certain values; used where options are written (decoration
 * time) so that a typo fails at once, with the fix in the message.
 */
export function assertConversationFieldValues(
  fields: { device?: unknown; environment?: unknown },
  where: string,
): void {
  if (typeof fields.device === 'string' && !DEVICES.has(fields.device)) {
    throw new TypeError(
      `${where}: device must be one of ${[...DEVICES].join(', ')} (got "${loggable(fields.device)}")`,
    );
  }
  if (typeof fields.environment === 'string' && !ENVIRONMENTS.has(fields.environment)) {
    throw new TypeError(
      `${where}: environment must be one of ${[...ENVIRONMENTS].join(', ')} (got "${loggable(fields.environment)}")`,
    );
  }
}

/**
 * Builds the attributes that make every span of the conversation self-describing. Fields of an
 * enclosing turn of the same conversation are inherited; values that AgentSight would reject are
 * dropped with a warning instead of failing the user's call.
 */
export function conversationAttributes(
  conversationId: string,
  fields: ConversationFields,
  enclosing: ConversationAttributes | undefined,
  maxValueLength: number,
): ConversationAttributes {
  const attributes: Attributes =
    enclosing !== undefined && enclosing[ATTR_AGENTSIGHT_CONVERSATION_ID] === conversationId ? { ...enclosing } : {};
  attributes[ATTR_AGENTSIGHT_CONVERSATION_ID] = conversationId;
  attributes[ATTR_GEN_AI_CONVERSATION_ID] = conversationId;
  for (const [field, key, maskField] of IDENTIFIER_FIELDS) {
    const text = nonBlankText(fields[field]);
    if (text !== undefined) attributes[key] = boundedIdentifier(maskField ? maskText(text, maskField) : text);
  }
  const name = nonBlankText(fields.name);
  if (name !== undefined) {
    attributes[ATTR_AGENTSIGHT_CONVERSATION_NAME] = maskText(truncate(name, maxValueLength), 'conversation.name');
  }
  if (fields.device !== undefined) {
    if (DEVICES.has(fields.device)) attributes[ATTR_AGENTSIGHT_CONVERSATION_DEVICE] = fields.device;
    else
      log.warn(
        `conversation ${loggable(conversationId)}: device "${loggable(fields.device)}" is not one AgentSight knows; left out`,
      );
  }
  if (fields.environment !== undefined) {
    if (ENVIRONMENTS.has(fields.environment)) attributes[ATTR_AGENTSIGHT_CONVERSATION_ENVIRONMENT] = fields.environment;
    else
      log.warn(
        `conversation ${loggable(conversationId)}: environment "${loggable(fields.environment)}" is unknown; left out`,
      );
  }
  const metadata = metadataJson(fields.metadata, maxValueLength, maskFor('conversation.metadata'));
  if (metadata !== undefined) attributes[ATTR_AGENTSIGHT_CONVERSATION_METADATA] = metadata;
  return Object.freeze(attributes);
}

/**
 * JSON text of a metadata value, bounded, with `transform` (a mask) applied to its strings.
 * AgentSight wants an object, so anything else is kept under `value` rather than lost.
 */
export function metadataJson(
  metadata: unknown,
  maxValueLength: number,
  transform?: StringTransform,
): string | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  let isPlainObject = false;
  try {
    isPlainObject = typeof metadata === 'object' && !Array.isArray(metadata);
  } catch {
    // A revoked Proxy: described as unreadable under `value`.
  }
  return toBoundedJson(isPlainObject ? metadata : { value: metadata }, maxValueLength, transform);
}
