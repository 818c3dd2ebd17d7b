import { type Answer, detail } from './answers';
import type { JsonObject } from './contract';
import type { ReceiverState } from './receiver-state';
import type { StoredConversation } from './store';
import { attachmentType } from './upload-routes';

/* The read endpoints (§3.7–3.10): the list with filters and pages, lookup, detail, attachments. */

/** A GET under /api/. */
export function read(state: ReceiverState, url: URL): Answer {
  const path = url.pathname;
  if (path === '/api/conversations/') {
    const filters = ['conversation_id', 'customer_id', 'device', 'language'] as const;
    const query = url.searchParams;
    const name = query.get('name')?.toLowerCase();
    const matches = state.store.conversations.filter(
      (c) =>
        filters.every((f) => !query.has(f) || c.fields[f] === query.get(f)) &&
        (query.get('include_deleted') === 'true' || c.deletedAt === null) &&
        (!query.has('is_marked') || String(c.isMarked) === query.get('is_marked')) &&
        (name === undefined ||
          String(c.fields.name ?? '')
            .toLowerCase()
            .includes(name)),
    );
    const pageSize = Math.min(100, Math.max(1, Number(url.searchParams.get('page_size') ?? 10) || 10));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const results = matches.slice((page - 1) * pageSize, page * pageSize).map((c) => conversationView(state, c, false));
    const link = (p: number) => `${url.origin}${path}?page=${p}&page_size=${pageSize}`;
    return {
      status: 200,
      body: {
        count: matches.length,
        next: page * pageSize < matches.length ? link(page + 1) : null,
        previous: page > 1 ? link(page - 1) : null,
        results,
      },
    };
  }
  if (path === '/api/conversations/lookup/') {
    const conversation = state.store.conversation(url.searchParams.get('conversation_id') ?? '');
    return conversation
      ? { status: 200, body: { id: conversation.id, conversation_id: conversation.conversationId } }
      : detail(404, 'Not found.');
  }
  const detailMatch = /^\/api\/conversations\/(\d+)\/$/.exec(path);
  if (detailMatch) {
    const conversation = state.store.conversationByPk(Number(detailMatch[1]));
    return conversation
      ? { status: 200, body: conversationView(state, conversation, true) }
      : detail(404, 'Not found.');
  }
  const attachmentsMatch = /^\/api\/conversations\/(\d+)\/attachments\/$/.exec(path);
  if (attachmentsMatch) {
    const conversation = state.store.conversationByPk(Number(attachmentsMatch[1]));
    if (!conversation) return detail(404, 'Not found.');
    const uploads = state.store.recordsOf(conversation.conversationId).filter((r) => r.kind === 'attachments');
    const messages = uploads.map((r) => ({
      message_id: typeof r.body.message === 'number' ? r.body.message : null,
      sender: r.body.sender ?? 'end_user',
      timestamp: r.body.timestamp,
      attachments: (r.body.attachments as JsonObject[]).map((a, i) => ({
        id: r.id * 1000 + i,
        type: attachmentType(String(a.mime_type)),
        filename: a.filename,
        mime_type: a.mime_type,
        size_bytes: a.size_bytes,
        file_url: `${state.baseUrl}/files/${r.id}/${i}`,
      })),
    }));
    return {
      status: 200,
      body: {
        conversation_id: conversation.conversationId,
        conversation: conversation.id,
        total_attachments: messages.reduce((n, m) => n + m.attachments.length, 0),
        messages,
      },
    };
  }
  return detail(404, 'Not found.');
}

/** A conversation as the read endpoints show it. */
export function conversationView(state: ReceiverState, c: StoredConversation, withItems: boolean) {
  const records = state.store.recordsOf(c.conversationId).filter((r) => r.kind !== 'conversation');
  return {
    id: c.id,
    ...c.fields,
    is_used: c.isUsed,
    is_marked: c.isMarked,
    is_deleted: c.deletedAt !== null,
    deleted_at: c.deletedAt,
    messages: records
      .filter((r) => r.kind === 'message' || (withItems && r.kind !== 'feedback'))
      .map((r) => ({ id: r.id, kind: r.kind, ...r.body })),
  };
}
