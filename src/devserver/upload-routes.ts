import { type Answer, fieldErrors } from './answers';
import { checkMultipartAttachments, type JsonObject } from './contract';
import type { SpooledFile } from './file-spool';
import type { FilePart } from './multipart';
import type { ReceiverState } from './receiver-state';
import type { StoredConversation } from './store';

/*
 * POST /api/attachments/: the upload's checks beside it (§3.5): a linked message must be a
 * message of the conversation; files refused are removed from the spool.
 */

/**
 * Stores an upload once its conversation is known: a `message` must be a message of that
 * conversation. The record keeps each file's name, type, size and sha256; the bytes are kept
 * apart for the page (`/files/<record>/<n>`).
 */
export function storeUpload(
  state: ReceiverState,
  conversation: StoredConversation,
  fields: JsonObject,
  files: readonly (SpooledFile & { filename: string; mimeType: string })[],
  idempotencyKey: string | undefined,
): Answer {
  if (fields.message !== undefined) {
    const message = Number(fields.message);
    const known = state.store
      .recordsOf(conversation.conversationId)
      .some((r) => r.kind === 'message' && r.id === message);
    if (!known) {
      for (const file of files) state.spool.discard(file);
      return fieldErrors({
        message: [`Message ${String(fields.message)} is not a message of "${conversation.conversationId}".`],
      });
    }
  }
  const attachments = files.map((f) => ({
    filename: f.filename,
    mime_type: f.mimeType,
    size_bytes: f.size,
    sha256: f.sha256,
  }));
  const body = { ...fields, attachments };
  const record = state.store.add('attachments', '/api/attachments/', conversation.conversationId, body, idempotencyKey);
  files.forEach((f, index) => {
    state.store.addFile(record.id, index, f);
  });
  return { status: 201, body: { id: record.id, status: 'success', message: 'Saved successfully' } };
}

/** POST /api/attachments/ as multipart (§3.5 C, D). */
export function uploadMultipart(
  state: ReceiverState,
  fields: ReadonlyArray<readonly [string, string]>,
  files: readonly FilePart[],
  idempotencyKey: string | undefined,
): Answer {
  const refuse = (answer: Answer) => {
    for (const file of files) state.spool.discard(file);
    return answer;
  };
  const errors = checkMultipartAttachments(fields, files);
  if (errors) return refuse(fieldErrors(errors));
  const values: JsonObject = Object.fromEntries(fields);
  const conversation = state.store.conversationByPk(Number(values.conversation));
  if (!conversation) {
    return refuse(
      fieldErrors({ conversation: [`Invalid pk "${String(values.conversation)}" - object does not exist.`] }),
    );
  }
  const parsed: JsonObject = {
    ...values,
    metadata: values.metadata === undefined ? {} : JSON.parse(String(values.metadata)),
  };
  if (values.message !== undefined) parsed.message = Number(values.message);
  parsed.conversation = conversation.id;
  return storeUpload(state, conversation, parsed, files, idempotencyKey);
}

/** The `type` the attachments endpoint reports for a MIME type (§3.9). */
export function attachmentType(mimeType: string): 'image' | 'document' | 'text' | 'audio' | 'video' {
  const top = mimeType.split('/')[0];
  if (top === 'image' || top === 'audio' || top === 'video') return top;
  return top === 'text' || mimeType.includes('json') ? 'text' : 'document';
}
