import { appendFileSync, readFileSync } from 'node:fs';
import type { JsonObject } from './contract';

/** What kind of item a stored record is. */
export type RecordKind = 'conversation' | 'message' | 'action' | 'button' | 'attachments' | 'feedback';

/** One accepted request, as stored. */
export interface StoredRecord {
  /** Position in arrival order, from 1. */
  readonly seq: number;
  /** Backend id returned to the client. */
  readonly id: number;
  /** What was stored. */
  readonly kind: RecordKind;
  /** The API path it was posted to. */
  readonly path: string;
  /** The caller's conversation id (feedback by primary key resolves it). */
  readonly conversationId: string;
  /** The accepted JSON body, as sent. */
  readonly body: JsonObject;
  /** When the receiver accepted it (ISO-8601). */
  readonly receivedAt: string;
  /** The Idempotency-Key header, if any. */
  readonly idempotencyKey: string | undefined;
}

/** A conversation as stored: get-or-create keeps the first values. */
export interface StoredConversation {
  /** The backend id returned to the client. */
  readonly id: number;
  /** The caller's conversation id. */
  readonly conversationId: string;
  /** The body of the call that created it. */
  readonly fields: JsonObject;
  /** Whether any create call said `is_used: true`. */
  isUsed: boolean;
  /** How many create calls named it (the first one created it). */
  createCalls: number;
  /** Marked by the mark or update endpoint. */
  isMarked: boolean;
  /** When it was soft-deleted, or null. */
  deletedAt: string | null;
}

/** An uploaded file, kept on disk for the page: its type, where it is, and its size. */
export interface StoredFile {
  /** Its MIME type, as checked when it was taken. */
  readonly mimeType: string;
  /** Where its bytes are (the receiver's spool folder). */
  readonly path: string;
  /** Its size in bytes. */
  readonly size: number;
  /** Its bytes, read from disk now. */
  readonly bytes: Buffer;
}

/** Everything the receiver accepted, in memory, with an optional JSON-lines copy. */
export class DevStore {
  private nextId = 1;
  private readonly conversationsById = new Map<string, StoredConversation>();
  private readonly recordList: StoredRecord[] = [];
  private readonly recordsByConversation = new Map<string, StoredRecord[]>();
  private readonly listeners = new Set<(record: StoredRecord) => void>();
  private readonly fileBytes = new Map<string, StoredFile>();

  constructor(private readonly outFile?: string) {}

  /** Records in arrival order. */
  get records(): readonly StoredRecord[] {
    return this.recordList;
  }

  /** Conversations in creation order. */
  get conversations(): readonly StoredConversation[] {
    return [...this.conversationsById.values()];
  }

  /** The conversation with this caller's id. */
  conversation(conversationId: string): StoredConversation | undefined {
    return this.conversationsById.get(conversationId);
  }

  /** The conversation with this backend id. */
  conversationByPk(id: number): StoredConversation | undefined {
    return this.conversations.find((c) => c.id === id);
  }

  /** Records of one conversation (its create call included), in arrival order. */
  recordsOf(conversationId: string): StoredRecord[] {
    return [...(this.recordsByConversation.get(conversationId) ?? [])];
  }

  /** Get-or-create by `conversation_id`; an existing conversation keeps its stored values (§3.1). */
  getOrCreateConversation(body: JsonObject): {
    /** The conversation, new or the one stored before. */
    conversation: StoredConversation;
    /** Whether this call created it. */
    created: boolean;
  } {
    const conversationId = body.conversation_id as string;
    const existing = this.conversationsById.get(conversationId);
    if (existing) {
      existing.createCalls += 1;
      if (body.is_used === true) existing.isUsed = true;
      return { conversation: existing, created: false };
    }
    const conversation: StoredConversation = {
      id: this.nextId++,
      conversationId,
      // A copy: the management endpoints change it, the stored create record stays as sent.
      fields: { ...body },
      isUsed: body.is_used === true,
      createCalls: 1,
      isMarked: false,
      deletedAt: null,
    };
    this.conversationsById.set(conversationId, conversation);
    return { conversation, created: true };
  }

  /** Stores an accepted item and returns it with its new id. */
  add(kind: RecordKind, path: string, conversationId: string, body: JsonObject, idempotencyKey?: string, id?: number) {
    const record: StoredRecord = {
      seq: this.recordList.length + 1,
      id: id ?? this.nextId++,
      kind,
      path,
      conversationId,
      body,
      receivedAt: new Date().toISOString(),
      idempotencyKey,
    };
    this.recordList.push(record);
    // Indexed as stored: transcripts and the read API ask per conversation, over every record.
    let own = this.recordsByConversation.get(conversationId);
    if (own === undefined) {
      own = [];
      this.recordsByConversation.set(conversationId, own);
    }
    own.push(record);
    if (this.outFile) appendFileSync(this.outFile, `${JSON.stringify(record)}\n`);
    for (const listener of this.listeners) listener(record);
    return record;
  }

  /** Keeps where an uploaded file is (the record keeps its name, type, size and hash). */
  addFile(recordId: number, index: number, file: { mimeType: string; path: string; size: number }): void {
    const { mimeType, path, size } = file;
    this.fileBytes.set(`${recordId}/${index}`, {
      mimeType,
      path,
      size,
      get bytes() {
        return readFileSync(path);
      },
    });
  }

  /** An uploaded file, by its record's id and its position in the upload. */
  file(recordId: number, index: number): StoredFile | undefined {
    return this.fileBytes.get(`${recordId}/${index}`);
  }

  /** Calls `listener` for every record stored from now on; returns the unsubscribe function. */
  onRecord(listener: (record: StoredRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Forgets everything (tests reuse one server). */
  clear(): void {
    this.conversationsById.clear();
    this.recordList.length = 0;
    this.recordsByConversation.clear();
    this.fileBytes.clear();
    this.nextId = 1;
  }
}
