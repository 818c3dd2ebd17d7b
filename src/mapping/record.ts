import type { HrTime } from '@opentelemetry/api';
import { boundedIdentifier } from '../common/identifier';
import type { FinishedSpan as ReadableSpan } from '../common/sdk-shapes';
import { truncate } from '../common/truncate';
import {
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID,
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS,
  ATTR_AGENTSIGHT_CONVERSATION_DEVICE,
  ATTR_AGENTSIGHT_CONVERSATION_ENVIRONMENT,
  ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE,
  ATTR_AGENTSIGHT_CONVERSATION_METADATA,
  ATTR_AGENTSIGHT_CONVERSATION_NAME,
  ATTR_AGENTSIGHT_CONVERSATION_SOURCE,
  ATTR_AGENTSIGHT_FEEDBACK_COMMENT,
  ATTR_AGENTSIGHT_FEEDBACK_METADATA,
  ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT,
  ATTR_AGENTSIGHT_SPAN_KIND,
} from '../semconv/attributes';
import {
  AGENTSIGHT_CONVERSATION_DEVICE_VALUES,
  AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES,
  AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION,
} from '../semconv/values';
import { firstIdentifier, GENAI_USER_KEYS } from './genai/genai-keys';
import type { MappingOptions } from './options';
import type { ConversationPayload } from './payloads';
import { jsonObject, text } from './span-values';
import { toAgentSightTimestamp } from './timestamp';

/*
 * The conversation record: built from the fields a conversation's spans carry.
 */
/** Fields that are identifiers: bounded and cleaned by the rule the instrumentation applies too. */
const IDENTIFIER_KEYS: ReadonlySet<string> = new Set([
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID,
  ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS,
  ATTR_AGENTSIGHT_CONVERSATION_SOURCE,
  ATTR_AGENTSIGHT_FEEDBACK_COMMENT,
  ATTR_AGENTSIGHT_FEEDBACK_METADATA,
  ATTR_AGENTSIGHT_FEEDBACK_SENTIMENT,
  ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE,
]);

/** The conversation name limit of the API (§3.1, §3.11). */
const MAX_NAME_LENGTH = 255;
const DEVICES: ReadonlySet<unknown> = new Set(AGENTSIGHT_CONVERSATION_DEVICE_VALUES);
const ENVIRONMENTS: ReadonlySet<unknown> = new Set(AGENTSIGHT_CONVERSATION_ENVIRONMENT_VALUES);

/** Builds the conversation record from the fields its spans carry; the turn's own span speaks first. */
export function conversationRecord(
  conversationId: string,
  spans: readonly ReadableSpan[],
  startedAt: HrTime,
  options: MappingOptions,
  used: boolean,
): ConversationPayload {
  const ordered = [...spans].sort(
    (a, b) =>
      Number(b.attributes[ATTR_AGENTSIGHT_SPAN_KIND] === AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION) -
      Number(a.attributes[ATTR_AGENTSIGHT_SPAN_KIND] === AGENTSIGHT_SPAN_KIND_VALUE_CONVERSATION),
  );
  const first = (key: string): string | undefined => {
    for (const span of ordered) {
      const value = text(span.attributes, key);
      if (value !== undefined)
        return IDENTIFIER_KEYS.has(key) ? boundedIdentifier(value) : truncate(value, options.maxFieldLength);
    }
    return undefined;
  };
  const device = first(ATTR_AGENTSIGHT_CONVERSATION_DEVICE);
  const environment = first(ATTR_AGENTSIGHT_CONVERSATION_ENVIRONMENT);
  const name = first(ATTR_AGENTSIGHT_CONVERSATION_NAME);
  const metadataSpan = ordered.find((s) => s.attributes[ATTR_AGENTSIGHT_CONVERSATION_METADATA] !== undefined);
  return {
    timestamp: toAgentSightTimestamp(startedAt),
    conversation_id: conversationId,
    customer_id:
      first(ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_ID) ??
      ordered.map((span) => firstIdentifier(span.attributes, GENAI_USER_KEYS)).find((id) => id !== undefined) ??
      null,
    customer_ip_address: first(ATTR_AGENTSIGHT_CONVERSATION_CUSTOMER_IP_ADDRESS) ?? null,
    device: device !== undefined && DEVICES.has(device) ? device : null,
    source: first(ATTR_AGENTSIGHT_CONVERSATION_SOURCE) ?? null,
    language: first(ATTR_AGENTSIGHT_CONVERSATION_LANGUAGE) ?? null,
    name: name === undefined ? null : truncate(name, MAX_NAME_LENGTH),
    is_used: used,
    environment: environment !== undefined && ENVIRONMENTS.has(environment) ? environment : options.environment,
    metadata: metadataSpan
      ? (jsonObject(metadataSpan.attributes, ATTR_AGENTSIGHT_CONVERSATION_METADATA, options.maxFieldLength) ?? null)
      : null,
  };
}
