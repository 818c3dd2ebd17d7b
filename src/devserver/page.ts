import type { DevStore, StoredConversation } from './store';
import { clockTime, conversationHeading, type TranscriptLine, traceIdOf, transcriptLines } from './transcript';

/** How the page is drawn: where trace links point, and the list's filter. */
export interface PageOptions {
  /** Base URL of the Jaeger UI (or any UI with `/trace/<id>` pages) that trace links open. */
  readonly jaegerUrl: string;
  /** Shows only conversations whose id or name contains this (any case). */
  readonly search?: string;
}

/** Escapes text for HTML element content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;display:flex;min-height:100vh;color:#1d2330}
nav{width:300px;border-right:1px solid #dde;padding:12px;background:#f6f7fb}
nav a{display:block;padding:6px 8px;border-radius:6px;color:inherit;text-decoration:none}
nav a.current,nav a:hover{background:#e3e8f7}
main{flex:1;padding:16px 24px}
.line{display:grid;grid-template-columns:110px 80px 1fr;gap:8px;padding:6px 0;border-bottom:1px solid #eef}
.who{font-weight:600}.user .who{color:#2456c7}.agent .who{color:#19803d}.action .who,.tokens .who{color:#8a5a00}
.thumb{display:inline-block;margin:4px 8px 0 0;vertical-align:top;text-align:center;font-size:12px;color:#556}
.thumb img{display:block;max-width:120px;max-height:90px;border:1px solid #dde;border-radius:4px}
.feedback .who{color:#7a2bb3}.files .who{color:#2b6f8a}
.error{color:#b42318}.time{color:#778;font-variant-numeric:tabular-nums}.empty{color:#778}
nav small{display:block;color:#778;font-size:12px;padding:0 8px 6px}nav form input{width:100%;box-sizing:border-box;padding:5px;margin-bottom:8px}
.turn{margin-top:10px;font-size:12px}.turn a{color:#2456c7}`;

/** Thumbnails of image files and links to the others (served by the receiver at `href`). */
function thumbnails(files: TranscriptLine['files']): string {
  if (files === undefined || files.length === 0) return '';
  return `<div class="attachments">${files
    .map((f) => {
      const image = /^image\/(png|jpeg|gif|webp|bmp)$/.test(f.mimeType);
      const inner = image
        ? `<img src="${escapeHtml(f.href)}" alt="${escapeHtml(f.name)}" loading="lazy">`
        : '<span>📄</span>';
      return `<a class="thumb" href="${escapeHtml(f.href)}" data-file="${escapeHtml(f.name)}">${inner}${escapeHtml(f.name)}</a>`;
    })
    .join('')}</div>`;
}

/**
 * The receiver's page: the list of conversations and the selected one's transcript, rendered on
 * the server as plain HTML (no build step, nothing to load), refreshed every few seconds.
 */
export function renderPage(store: DevStore, selected: string | undefined, options: PageOptions): string {
  const search = options.search?.trim().toLowerCase() ?? '';
  const conversations = store.conversations.filter(
    (c) =>
      search === '' ||
      c.conversationId.toLowerCase().includes(search) ||
      String(c.fields.name ?? '')
        .toLowerCase()
        .includes(search),
  );
  const current = selected ?? conversations.at(-1)?.conversationId;
  const links = conversations
    .map((c) => {
      const href = `/?conversation=${encodeURIComponent(c.conversationId)}${search ? `&q=${encodeURIComponent(search)}` : ''}`;
      const cls = c.conversationId === current ? ' class="current"' : '';
      return `<a href="${escapeHtml(href)}"${cls} data-conversation="${escapeHtml(c.conversationId)}">${escapeHtml(
        c.conversationId,
      )}</a><small>${escapeHtml(summary(store, c))}</small>`;
    })
    .join('');
  const form = `<form method="get" action="/"><input name="q" type="search" placeholder="Search id or name" value="${escapeHtml(
    search,
  )}"></form>`;
  const conversation = current === undefined ? undefined : store.conversation(current);
  let transcript = '<p class="empty">No conversations yet. Send some with the exporter or curl.</p>';
  if (conversation) {
    let turn: string | undefined;
    const lines = transcriptLines(store.recordsOf(conversation.conversationId))
      .map(
        (l) =>
          `${traceLink(l, turn, options.jaegerUrl, (id) => {
            turn = id;
          })}<div class="line ${l.who}"><span class="time">${escapeHtml(clockTime(l.at))}</span><span class="who">${
            l.who
          }</span><span class="text">${escapeHtml(l.text)}${
            l.error ? ` <span class="error">✗ ${escapeHtml(l.error)}</span>` : ''
          }${thumbnails(l.files)}</span></div>`,
      )
      .join('');
    transcript = `<h2>${escapeHtml(conversationHeading(conversation))}</h2><div id="transcript">${
      lines || '<p class="empty">No messages yet.</p>'
    }</div>`;
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AgentSight dev server</title>
<meta http-equiv="refresh" content="5"><style>${STYLE}</style></head>
<body><nav><h1>Conversations</h1>${form}${links || '<p class="empty">none</p>'}</nav><main>${transcript}</main></body></html>`;
}

/** When a conversation ran (its first and last item, UTC) and how many turns it has. */
function summary(store: DevStore, conversation: StoredConversation): string {
  const records = store.recordsOf(conversation.conversationId);
  const times = records
    .map((r) => Date.parse(String(r.body.timestamp ?? r.receivedAt)))
    .filter((t) => !Number.isNaN(t))
    .sort((a, b) => a - b);
  // A turn is a trace when the sender linked its items to traces, else a user message.
  const traces = new Set(records.map(traceIdOf).filter((id) => id !== undefined));
  const turns =
    traces.size > 0 ? traces.size : records.filter((r) => r.kind === 'message' && r.body.sender === 'end_user').length;
  const first = times[0];
  const when =
    first === undefined
      ? 'no items yet'
      : `${new Date(first).toISOString().slice(0, 16).replace('T', ' ')}${
          times.length > 1 ? `–${new Date(times.at(-1) as number).toISOString().slice(11, 16)}` : ''
        } UTC`;
  return `${when} · ${turns} turn${turns === 1 ? '' : 's'}`;
}

/** A link to the line's trace where a new turn (trace) begins. */
function traceLink(
  line: TranscriptLine,
  current: string | undefined,
  jaegerUrl: string,
  begin: (id: string) => void,
): string {
  if (line.traceId === undefined || line.traceId === current) return '';
  begin(line.traceId);
  const href = `${jaegerUrl.replace(/\/+$/, '')}/trace/${line.traceId}`;
  return `<div class="turn"><a href="${escapeHtml(href)}" data-trace="${line.traceId}" target="_blank" rel="noopener">trace ${line.traceId.slice(0, 8)}… ↗</a></div>`;
}
