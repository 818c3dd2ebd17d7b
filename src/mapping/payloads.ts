/*
 * The AgentSight tracking payloads (agentsight-api.md §3), as sent. Key order follows the Python
 * SDK's queued requests; `conversation` (the backend id) is added at delivery time, once known.
 */

import type { AttachmentSource } from '../attachments';

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** Body of `POST /api/conversations/`: every key present, absent optional values `null`. */
export interface ConversationPayload {
  timestamp: string;
  conversation_id: string;
  customer_id: string | null;
  customer_ip_address: string | null;
  device: string | null;
  source: string | null;
  language: string | null;
  name: string | null;
  /** True for a conversation that happened; false for one only initialised (`initializeConversation`). */
  is_used: boolean;
  environment: string;
  metadata: JsonObject | null;
}

/** Body of `POST /api/track/` without the backend id. */
export interface MessagePayload {
  timestamp: string;
  content: string;
  sender: 'end_user' | 'agent';
  conversation_id: string;
  metadata: JsonObject;
}

/** Body of `POST /api/action_logs/` without the backend id; optional keys left out when unknown. */
export interface ActionPayload {
  timestamp: string;
  action_name: string;
  conversation_id: string;
  metadata: JsonObject;
  started_at?: string;
  ended_at?: string;
  duration_ms?: number;
  tools_used?: JsonObject;
  response?: string;
  error_msg?: string;
}

/** Body of `POST /api/buttons/` without the backend id. */
export interface ButtonPayload {
  timestamp: string;
  button_event: string;
  label: string;
  value: string;
  conversation_id: string;
  metadata: JsonObject;
}

/**
 * Body of `POST /api/conversation-feedbacks/` (§3.6) without the backend id. It has no
 * timestamp: the API stamps feedback itself.
 */
export interface FeedbackPayload {
  sentiment: string;
  conversation_id: string;
  comment?: string;
  metadata?: JsonObject;
}

/**
 * The JSON fields of `POST /api/attachments/` (§3.5) known when mapped; the files, `conversation`,
 * `message` and (standalone) `mode` are added when it is sent, as base64 JSON or multipart parts.
 */
export interface AttachmentsPayload {
  timestamp: string;
  conversation_id: string;
  sender: 'end_user' | 'agent';
  metadata: JsonObject;
}

/** One file of an upload, as the mapping reads it from the span (`agentsight.attachments`). */
export interface PlannedFile {
  /** Key in the pending-attachment store; undefined when it was dropped when recorded. */
  readonly id: string | undefined;
  readonly filename: string;
  readonly mimeType: string | undefined;
  readonly size: number;
  /** Why it will not be delivered, decided when it was recorded. */
  readonly dropped: 'invalid' | 'over_limit' | 'over_budget' | undefined;
}

/** A file ready for delivery. */
export interface UploadFile {
  readonly filename: string;
  readonly mimeType: string | undefined;
  readonly size: number;
  readonly source: AttachmentSource;
}

/** Which endpoint an item goes to. */
export type ItemKind = 'message' | 'action' | 'button' | 'token_usage' | 'feedback' | 'attachments';

/** API path of each kind of item. */
export const ITEM_PATHS: Readonly<Record<ItemKind | 'conversation', string>> = {
  conversation: '/api/conversations/',
  message: '/api/track/',
  action: '/api/action_logs/',
  token_usage: '/api/action_logs/',
  button: '/api/buttons/',
  feedback: '/api/conversation-feedbacks/',
  attachments: '/api/attachments/',
};

/** One request to make for a conversation, after its record exists. */
export interface PlannedItem {
  readonly kind: ItemKind;
  readonly body: MessagePayload | ActionPayload | ButtonPayload | FeedbackPayload | AttachmentsPayload;
  /** Stable for this item across retries: derived from its span(s) and kind. */
  readonly idempotencyKey: string;
  /** What to call it in logs: `message`, `action "calculator"`, ... */
  readonly label: string;
  /** When it happened (its span's end), in µs since the epoch: `body.timestamp` as a number. */
  readonly atMicros: number;
  /** Attachments: the files as the span describes them (mapping), then with their bytes (delivery). */
  readonly files?: readonly PlannedFile[];
  readonly uploads?: readonly UploadFile[];
  /** Attachments of a message: that message's `idempotencyKey` (its answer's id links them). */
  readonly linkedTo?: string;
}

/** Everything one export has to deliver for one conversation, in delivery order. */
export interface ConversationPlan {
  readonly conversationId: string;
  readonly record: ConversationPayload;
  readonly recordIdempotencyKey: string;
  readonly items: readonly PlannedItem[];
  /**
   * Only `initializeConversation` spans: the record (`is_used: false`) is sent on its own, at
   * once, and its id is not remembered, so the first real turn's record (`is_used: true`) is
   * still sent and marks the conversation used (§3.1).
   */
  readonly initializeOnly?: boolean;
}
