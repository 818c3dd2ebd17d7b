import { randomUUID } from 'node:crypto';
import { DEFAULT_PENDING_ATTACHMENT_BYTES, PENDING_ATTACHMENT_MAX_AGE_MILLIS } from './limits';

/** Where an attachment's bytes are: held in memory, or read when it is sent. */
export type AttachmentSource =
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'blob'; readonly blob: Blob }
  | { readonly kind: 'path'; readonly path: string };

interface PendingEntry {
  readonly source: AttachmentSource;
  readonly cost: number;
  readonly storedAt: number;
}

interface PendingStore {
  budget: number;
  used: number;
  readonly entries: Map<string, PendingEntry>;
}

/*
 * One store per process, under a registered symbol: the decorators put bytes in and the exporter
 * takes them out, and the two may come from different copies of this package (or the CJS and ESM
 * builds), which must still meet here. The doors stay one-way: neither imports the other.
 */
const STORE_KEY = Symbol.for('agentsight.attachments.pending');

function pendingStore(): PendingStore {
  const holder = globalThis as { [STORE_KEY]?: PendingStore };
  holder[STORE_KEY] ??= { budget: DEFAULT_PENDING_ATTACHMENT_BYTES, used: 0, entries: new Map() };
  return holder[STORE_KEY];
}

/** Releases entries older than the maximum age: nothing took them (no AgentSight exporter, say). */
function releaseExpired(store: PendingStore, now: number): void {
  for (const [id, entry] of store.entries) {
    if (now - entry.storedAt < PENDING_ATTACHMENT_MAX_AGE_MILLIS) break; // insertion order is age order
    store.entries.delete(id);
    store.used -= entry.cost;
  }
}

/**
 * Holds an attachment until the exporter takes it. `cost` is what it keeps alive in memory (the
 * bytes, or a Blob's size; 0 for a file path). Returns its id, or undefined when the budget has no
 * room for it.
 */
export function holdAttachment(source: AttachmentSource, cost: number, now = Date.now()): string | undefined {
  const store = pendingStore();
  releaseExpired(store, now);
  if (store.used + cost > store.budget) return undefined;
  const id = randomUUID();
  store.entries.set(id, { source, cost, storedAt: now });
  store.used += cost;
  return id;
}

/**
 * Whether `cost` more bytes fit the budget now: asked before a large input is copied or hashed,
 * so that a burst of files over the budget is refused without first costing their copies.
 */
export function pendingAttachmentRoom(cost: number, now = Date.now()): boolean {
  const store = pendingStore();
  releaseExpired(store, now);
  return store.used + cost <= store.budget;
}

/** Takes an attachment out of the store (once), or undefined when it is not there (any more). */
export function takeAttachment(id: string): AttachmentSource | undefined {
  const store = pendingStore();
  const entry = store.entries.get(id);
  if (entry === undefined) return undefined;
  store.entries.delete(id);
  store.used -= entry.cost;
  return entry.source;
}

/** Sets the budget of bytes held between recording and hand-over (process-wide). */
export function setPendingAttachmentBudget(bytes: number): void {
  pendingStore().budget = bytes;
}

/** Bytes held now, and the budget. */
export function pendingAttachmentBytes(): { used: number; budget: number } {
  const store = pendingStore();
  return { used: store.used, budget: store.budget };
}
