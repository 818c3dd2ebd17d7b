/*
 * What an export does besides mapping and handing over: the attachment bytes joined to their
 * uploads, and the unreadable spans said.
 */
import { diag } from '@opentelemetry/api';
import { takeAttachment } from '../attachments';
import { loggable } from '../common/log-text';
import type { DropReason } from '../delivery/delivery-stats';
import type { DroppedSpan } from '../mapping/mapping';
import type { ConversationPlan, PlannedItem, UploadFile } from '../mapping/payloads';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/**
 * Takes the bytes of each upload's files out of the process's attachment store (the span holds
 * only their description). Files dropped when recorded, or gone from the store, are counted
 * here; an upload with no file left is not sent.
 */
export function withAttachedFiles(plan: ConversationPlan, countDrop: (reason: DropReason) => void): ConversationPlan {
  if (!plan.items.some((item) => item.files !== undefined)) return plan;
  const items: PlannedItem[] = [];
  for (const item of plan.items) {
    if (item.files === undefined) {
      items.push(item);
      continue;
    }
    const uploads: UploadFile[] = [];
    for (const file of item.files) {
      const source = file.dropped === undefined && file.id !== undefined ? takeAttachment(file.id) : undefined;
      if (source !== undefined) {
        uploads.push({ filename: file.filename, mimeType: file.mimeType, size: file.size, source });
      } else {
        const reason: DropReason = file.dropped === undefined ? 'attachment_unavailable' : `attachment_${file.dropped}`;
        if (reason === 'attachment_unavailable') {
          log.warn(
            `attachment "${loggable(file.filename, 60)}" of conversation ${loggable(plan.conversationId)} was not sent: its bytes were no longer held (exported more than 5 minutes after it was recorded, or by another exporter)`,
          );
        }
        countDrop(reason);
      }
    }
    const { files: _described, ...rest } = item;
    if (uploads.length > 0) items.push({ ...rest, uploads, label: `${uploads.length} attachment(s)` });
  }
  return { ...plan, items };
}

/**
 * Says why spans were not sent, once per span name (at most 100 names): a broken instrumentation
 * would otherwise log every span it makes. `seen` is the caller's memory of names said.
 */
export function warnUnreadable(dropped: readonly DroppedSpan[], seen: Set<string>): void {
  for (const d of dropped) {
    if (seen.size < 100 && !seen.has(d.spanName)) {
      seen.add(d.spanName);
      log.warn(
        `span "${loggable(d.spanName)}" of conversation ${loggable(d.conversationId)} was not sent: ${loggable(d.reason)}`,
      );
    }
  }
}
