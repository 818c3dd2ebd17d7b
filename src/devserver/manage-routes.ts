import type { IncomingMessage } from 'node:http';
import { type Answer, detail, fieldErrors, readJsonBody } from './answers';
import { checkMark, checkRename, checkUpdate, type JsonObject } from './contract';
import type { ReceiverState } from './receiver-state';

/** The management endpoints (§3.11–3.14): each on its method, validated, on an existing conversation. */
export async function manage(
  state: ReceiverState,
  request: IncomingMessage,
  method: string,
  pk: number,
  action: string,
): Promise<Answer> {
  const expected = { rename: 'PATCH', mark: 'POST', update: 'PATCH', delete: 'DELETE' }[action];
  if (method !== expected) {
    request.resume();
    return detail(405, `Method "${method}" not allowed.`);
  }
  let body: JsonObject = {};
  if (method !== 'DELETE') {
    const read = await readJsonBody(request, state.maxBodyBytes);
    if ('status' in read) return read;
    body = read.json;
  } else {
    request.resume();
  }
  const conversation = state.store.conversationByPk(pk);
  if (!conversation) return detail(404, 'Not found.');
  const base = { id: conversation.id, conversation_id: conversation.conversationId };
  if (action === 'rename') {
    const errors = checkRename(body);
    if (errors) return fieldErrors(errors);
    conversation.fields.name = body.name;
    return { status: 200, body: { ...base, name: body.name } };
  }
  if (action === 'mark') {
    const errors = checkMark(body);
    if (errors) return fieldErrors(errors);
    conversation.isMarked = body.is_marked === true;
    return { status: 200, body: { ...base, is_marked: conversation.isMarked } };
  }
  if (action === 'update') {
    const errors = checkUpdate(body);
    if (errors) return fieldErrors(errors);
    for (const [field, value] of Object.entries(body)) {
      if (field === 'is_marked') conversation.isMarked = value === true;
      else conversation.fields[field] = value;
    }
    return { status: 200, body: { ...base, ...body } };
  }
  conversation.deletedAt ??= new Date().toISOString();
  return { status: 200, body: { ...base, is_deleted: true, deleted_at: conversation.deletedAt } };
}
