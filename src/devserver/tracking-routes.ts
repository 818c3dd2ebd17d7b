import { type Answer, detail, fieldErrors } from './answers';
import {
  checkAction,
  checkAttachments,
  checkButton,
  checkConversation,
  checkFeedback,
  checkMessage,
  type FieldErrors,
  type JsonObject,
} from './contract';
import type { ReceiverState } from './receiver-state';
import type { RecordKind, StoredConversation } from './store';
import { storeUpload } from './upload-routes';

/*
 * The tracking endpoints (§3.1–3.6): conversations, messages, actions, buttons, base64 uploads
 * and feedback, each with its checks beside it.
 */

const TRACKING_ROUTES: Record<string, { kind: RecordKind; check: (body: JsonObject) => FieldErrors | undefined }> = {
  '/api/track/': { kind: 'message', check: checkMessage },
  '/api/action_logs/': { kind: 'action', check: checkAction },
  '/api/buttons/': { kind: 'button', check: checkButton },
  '/api/attachments/': { kind: 'attachments', check: checkAttachments },
};

/** The linking rule: an item's `conversation` is the id returned for its `conversation_id`. */
export function checkLink(state: ReceiverState, body: JsonObject): Answer | StoredConversation {
  const conversation = state.store.conversation(String(body.conversation_id));
  if (!conversation) {
    return fieldErrors({
      conversation_id: [
        `No conversation "${String(body.conversation_id)}"; create it first (POST /api/conversations/).`,
      ],
    });
  }
  const link = body.conversation;
  if ((link === null || link === undefined) && state.options.allowUnlinked) return conversation;
  if (link === null || link === undefined) {
    return fieldErrors({
      conversation: ['This field may not be null. Send the id POST /api/conversations/ returned.'],
    });
  }
  if (Number(link) !== conversation.id) {
    return fieldErrors({
      conversation: [
        `Conversation ${String(link)} is not "${conversation.conversationId}" (whose id is ${conversation.id}).`,
      ],
    });
  }
  return conversation;
}

/** A POST to a tracking endpoint, its body read. */
export function track(
  state: ReceiverState,
  path: string,
  body: JsonObject,
  idempotencyKey: string | undefined,
): Answer {
  if (path === '/api/conversations/') {
    const errors = checkConversation(body);
    if (errors) return fieldErrors(errors);
    const { conversation, created } = state.store.getOrCreateConversation(body);
    if (created)
      state.store.add('conversation', path, conversation.conversationId, body, idempotencyKey, conversation.id);
    return {
      status: created ? 201 : 200,
      body: { id: conversation.id, conversation_id: conversation.conversationId },
    };
  }
  if (path === '/api/conversation-feedbacks/') {
    const errors = checkFeedback(body);
    if (errors) return fieldErrors(errors);
    const conversation =
      body.conversation_id !== undefined
        ? state.store.conversation(String(body.conversation_id))
        : state.store.conversationByPk(Number(body.conversation));
    if (!conversation) return detail(404, 'Conversation not found.');
    if (
      body.conversation_id !== undefined &&
      body.conversation !== undefined &&
      body.conversation !== conversation.id
    ) {
      return fieldErrors({
        conversation: [`Conversation ${String(body.conversation)} is not "${conversation.conversationId}".`],
      });
    }
    const record = state.store.add('feedback', path, conversation.conversationId, body, idempotencyKey);
    return {
      status: 201,
      body: {
        id: record.id,
        conversation: conversation.id,
        source: 'customer',
        created_at: record.receivedAt,
        ...body,
      },
    };
  }
  const route = TRACKING_ROUTES[path];
  if (!route) return detail(404, 'Not found.');
  const errors = route.check(body);
  if (errors) return fieldErrors(errors);
  const linked = checkLink(state, body);
  if ('status' in linked) return linked;
  if (route.kind === 'attachments') {
    const { attachments, ...fields } = body;
    const files = (attachments as JsonObject[]).map((a) => ({
      filename: String(a.filename),
      mimeType: String(a.mime_type),
      ...state.spool.fromBytes(Buffer.from(String(a.data), 'base64')),
    }));
    return storeUpload(state, linked, fields, files, idempotencyKey);
  }
  const record = state.store.add(route.kind, path, linked.conversationId, body, idempotencyKey);
  return { status: 201, body: { id: record.id, status: 'success', message: 'Saved successfully' } };
}
