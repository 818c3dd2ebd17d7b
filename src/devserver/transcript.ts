import type { JsonObject } from './contract';
import type { StoredConversation, StoredRecord } from './store';

/** One line of a transcript, as people read a conversation. */
export interface TranscriptLine {
  /** The item's own timestamp (ISO-8601). */
  readonly at: string;
  /** What kind of line: a message of either side, an action, token usage, a click, files or feedback. */
  readonly who: 'user' | 'agent' | 'action' | 'tokens' | 'button' | 'files' | 'feedback';
  /** The line's text, as a person reads it. */
  readonly text: string;
  /** Set for failed actions. */
  readonly error?: string;
  /** Files of an upload, with where the receiver serves them. */
  readonly files?: readonly {
    /** The file's name. */
    name: string;
    /** Its MIME type. */
    mimeType: string;
    /** Its size in bytes. */
    size: number;
    /** Where the receiver serves it. */
    href: string;
  }[];
  /** The trace the item came from, when the sender put it in the metadata (`otel.trace_id`). */
  readonly traceId?: string;
}

/** The trace id an item's metadata names (the sender's `otel.trace_id`), if it is one. */
export function traceIdOf(record: StoredRecord): string | undefined {
  const metadata = record.body.metadata as JsonObject | undefined;
  const id = metadata?.['otel.trace_id'];
  return typeof id === 'string' && /^[0-9a-f]{32}$/.test(id) ? id : undefined;
}

/** A size as people read it. */
function readableSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function filesLine(record: StoredRecord): Pick<TranscriptLine, 'who' | 'text' | 'files'> {
  const listed = (record.body.attachments ?? []) as JsonObject[];
  const files = listed.map((a, index) => ({
    name: str(a.filename),
    mimeType: str(a.mime_type),
    size: typeof a.size_bytes === 'number' ? a.size_bytes : 0,
    href: `/files/${record.id}/${index}`,
  }));
  const names = files.map((f) => `${f.name} (${f.mimeType}, ${readableSize(f.size)})`).join(', ');
  const owner = typeof record.body.message === 'number' ? ` · message #${record.body.message}` : '';
  return { who: 'files', text: `${str(record.body.sender ?? 'end_user')}: ${names}${owner}`, files };
}

const str = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value ?? ''));

function actionLine(body: JsonObject): Pick<TranscriptLine, 'who' | 'text' | 'error'> {
  if (body.action_name === 'token_usage') {
    const m = (body.metadata ?? {}) as Record<string, number>;
    return {
      who: 'tokens',
      text: `prompt ${m.prompt_tokens ?? 0} · completion ${m.completion_tokens ?? 0} · total ${m.total_tokens ?? 0}${
        m.embedding_tokens ? ` · embedding ${m.embedding_tokens}` : ''
      }`,
    };
  }
  const duration = typeof body.duration_ms === 'number' ? ` (${body.duration_ms} ms)` : '';
  const response = typeof body.response === 'string' ? ` → ${body.response}` : '';
  const line = { who: 'action' as const, text: `${str(body.action_name)}${duration}${response}` };
  return typeof body.error_msg === 'string' ? { ...line, error: body.error_msg } : line;
}

/** The transcript lines of stored records, in the order of their timestamps (ties: arrival). */
export function transcriptLines(records: readonly StoredRecord[]): TranscriptLine[] {
  const all: TranscriptLine[] = [];
  for (const record of records) {
    const { body } = record;
    const at = str(body.timestamp);
    const traceId = traceIdOf(record);
    const lines = traceId === undefined ? all : { push: (line: TranscriptLine) => all.push({ ...line, traceId }) };
    switch (record.kind) {
      case 'message':
        lines.push({ at, who: body.sender === 'end_user' ? 'user' : 'agent', text: str(body.content) });
        break;
      case 'action':
        lines.push({ at, ...actionLine(body) });
        break;
      case 'button':
        lines.push({ at, who: 'button', text: `${str(body.button_event)}: ${str(body.label)} = ${str(body.value)}` });
        break;
      case 'attachments':
        lines.push({ at, ...filesLine(record) });
        break;
      case 'feedback':
        lines.push({
          at: record.receivedAt,
          who: 'feedback',
          text: `${str(body.sentiment)} ${str(body.comment ?? '')}`,
        });
        break;
      default:
        break;
    }
  }
  return all
    .map((line, index) => ({ line, index }))
    .sort((a, b) => Date.parse(a.line.at) - Date.parse(b.line.at) || a.index - b.index)
    .map(({ line }) => line);
}

/** A one-line description of a conversation: id, backend id and the fields that were given. */
export function conversationHeading(conversation: StoredConversation): string {
  const f = conversation.fields;
  const facts = [
    f.name && `"${str(f.name)}"`,
    f.customer_id && `customer ${str(f.customer_id)}`,
    f.source && `source ${str(f.source)}`,
    f.device && `device ${str(f.device)}`,
    f.language && `language ${str(f.language)}`,
    str(f.environment),
    conversation.isMarked && 'marked',
    conversation.deletedAt !== null && 'deleted',
  ].filter(Boolean);
  return `conversation ${conversation.conversationId} (#${conversation.id}) · ${facts.join(' · ')}`;
}

/** `HH:MM:SS.mmm` of an ISO timestamp, in UTC. */
export function clockTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toISOString().slice(11, 23);
}

/** A transcript as plain text, for a terminal. */
export function renderTranscript(conversation: StoredConversation, records: readonly StoredRecord[]): string {
  const body = transcriptLines(records).map(
    (line) => `  ${clockTime(line.at)}  ${line.who.padEnd(8)} ${line.text}${line.error ? `  ✗ ${line.error}` : ''}`,
  );
  return [`── ${conversationHeading(conversation)}`, ...body].join('\n');
}
