/*
 * Client-side attachment limits. AgentSight documents none (agentsight-api.md §5.6), so these are
 * ours, chosen so one upload stays a reasonable single request and memory stays bounded; each is
 * reported with a clear message when exceeded (README, "Attachments").
 */

/** Largest single file: 25 MiB. */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/** Most files on one message (or one `trackAttachments` call). */
export const MAX_ATTACHMENTS_PER_RECORD = 10;

/** Longest file name kept (longer names are cut, keeping the extension). */
export const MAX_FILENAME_LENGTH = 255;

/** Default budget of bytes held between recording and hand-over to the exporter: 64 MiB. */
export const DEFAULT_PENDING_ATTACHMENT_BYTES = 64 * 1024 * 1024;

/** Bytes not taken by an exporter within this time are released (no AgentSight exporter, say). */
export const PENDING_ATTACHMENT_MAX_AGE_MILLIS = 5 * 60_000;

/**
 * Uploads whose files total at most this go as base64 JSON (§3.5 B); larger ones as
 * multipart/form-data (§3.5 D), which carries the bytes without base64's third more.
 */
export const INLINE_UPLOAD_MAX_BYTES = 256 * 1024;
