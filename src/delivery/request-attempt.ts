/*
 * One request's attempt: its body built as it goes out, sent, and its answer classified.
 */
import type { Transport } from '../api/transport';
import { loggable } from '../common/log-text';
import type { UploadFile } from '../mapping/payloads';
import { classifyAnswer, classifyError, type Outcome } from './answer-outcome';
import type { DeliveryLedger } from './delivery-ledger';
import type { Lane, QueuedRequest } from './lane';
import { buildUploadBody } from './upload-body';

/** Uploads get the Python SDK's deadline for multipart (45 s) at least: they carry megabytes. */
const MIN_UPLOAD_TIMEOUT_MILLIS = 45_000;

/** A request ready for the transport. */
export interface PreparedRequest {
  readonly body: string | Uint8Array;
  readonly headers: Record<string, string>;
  readonly timeoutMillis: number;
}

/**
 * The request's body and headers, built as it goes out: the backend id is known only now, and an
 * upload reads its files and links to its message's id now. Undefined when there is nothing to
 * send (every file of an upload was gone). Files that could not be read are taken off the request
 * (a retry sends the rest without looking for them again) and told to `onUnavailable`, once each.
 */
async function prepareRequest(
  lane: Lane,
  request: QueuedRequest,
  timeoutMillis: number,
  onUnavailable: (file: UploadFile) => void,
): Promise<PreparedRequest | undefined> {
  if (request === lane.record) return { body: request.json, headers: {}, timeoutMillis };
  const pk = lane.memory.backendId as number;
  const upload = request.upload;
  if (upload === undefined) {
    return { body: `${request.json.slice(0, -1)},"conversation":${pk}}`, headers: {}, timeoutMillis };
  }
  // Linked only to its own message: when that was not delivered (or its answer had no id), the
  // files go to the conversation on their own rather than to another message, or nowhere.
  const last = lane.lastMessage;
  const messageId = upload.linkedTo !== undefined && last?.key === upload.linkedTo ? last.id : undefined;
  const built = await buildUploadBody(upload.fields, upload.files, pk, messageId);
  if (built.unavailable.length > 0) {
    upload.files = upload.files.filter((f) => !built.unavailable.includes(f));
    for (const file of built.unavailable) onUnavailable(file);
  }
  if (built.body === undefined) return undefined;
  return {
    body: built.body,
    headers: { 'content-type': built.contentType },
    timeoutMillis: Math.max(timeoutMillis, MIN_UPLOAD_TIMEOUT_MILLIS),
  };
}

/** What {@link attempt} needs from the queue. */
export interface AttemptContext {
  readonly now: () => number;
  /** Whether the queue was closed: a request cut then ends as `cut`, whatever the transport said. */
  readonly closed: () => boolean;
  /** Counts each file that could not be read when sent, as `attachment_unavailable`. */
  readonly ledger: DeliveryLedger;
}

/** Sends one request and says how it ended; never throws. */
export async function attempt(
  transport: Transport,
  lane: Lane,
  request: QueuedRequest,
  timeoutMillis: number,
  context: AttemptContext,
): Promise<Outcome> {
  try {
    const prepared = await prepareRequest(lane, request, timeoutMillis, (file) => {
      const label = `attachment "${loggable(file.filename, 60)}"`;
      const why = 'its file could not be read when sent';
      context.ledger.drop('attachment_unavailable', lane.conversationId, label, why);
    });
    if (prepared === undefined) return { kind: 'skipped' };
    const headers = { 'idempotency-key': request.idempotencyKey, ...prepared.headers };
    const answer = await transport.post(request.path, prepared.body, headers, prepared.timeoutMillis);
    return classifyAnswer(answer, context.now());
  } catch (error) {
    return context.closed() ? { kind: 'cut' } : classifyError(error, context.now());
  }
}
