/*
 * Attachments: checked and described on the application's side (the span carries the
 * description), held in a process-wide store until the exporter takes them, sent after their
 * message. Imported by the decorators and the exporter; imports neither.
 */
export type { Attachment, AttachmentDescriptor, RecordedAttachments, RecordedDrop } from './attachment-input';
export { recordAttachments } from './attachment-input';
export type { AttachmentSource } from './attachment-store';
export { pendingAttachmentBytes, setPendingAttachmentBudget, takeAttachment } from './attachment-store';
export { generatedFilename } from './filenames';
export * from './limits';
export { sniffMimeType } from './mime-sniff';
