/**
 * Scripted faults: each applies to one request (the next one whose path matches), in order.
 *
 * - `status`: answer at once with this status (and `Retry-After`, `body`); nothing is stored.
 * - `delayMs`: store as usual, but answer only after this delay (a slow server: past the
 *   client's timeout the client cannot know the item was stored).
 * - `reset`: cut the connection without an answer; with `afterProcessing` the item is stored
 *   first (the ambiguous case a retry has to survive).
 */
export interface Fault {
  /** Only requests whose path starts with this (e.g. `/api/track/`); default any tracking POST. */
  path?: string;
  /** Answer with this HTTP status, storing nothing. */
  status?: number;
  /** `Retry-After` header of a status answer (seconds, or an HTTP date). */
  retryAfter?: string | number;
  /** Body of a status answer; default `{ detail }`. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Cut the connection instead of answering. */
  reset?: boolean;
  /** With `reset`: store the item first. */
  afterProcessing?: boolean;
}

/** The queue of faults still to apply. */
export class FaultScript {
  private readonly pending: Fault[] = [];
  private appliedCount = 0;

  /** Appends faults; each is used by exactly one future matching request. */
  script(...faults: Fault[]): void {
    for (const fault of faults) validateFault(fault);
    this.pending.push(...faults);
  }

  /** Takes the first pending fault that matches this request, if any. */
  take(path: string): Fault | undefined {
    const index = this.pending.findIndex((f) => f.path === undefined || path.startsWith(f.path));
    if (index < 0) return undefined;
    this.appliedCount += 1;
    return this.pending.splice(index, 1)[0];
  }

  /** Faults not yet used. */
  get remaining(): number {
    return this.pending.length;
  }

  /** Faults used so far. */
  get applied(): number {
    return this.appliedCount;
  }

  /** Drops the pending faults and the count. */
  clear(): void {
    this.pending.length = 0;
    this.appliedCount = 0;
  }
}

function validateFault(fault: Fault): void {
  const kinds = [fault.status !== undefined, fault.reset === true].filter(Boolean).length;
  if (kinds > 1) throw new TypeError('a fault is either a status or a reset, not both');
  if (kinds === 0 && fault.delayMs === undefined) {
    throw new TypeError('a fault needs a status, a reset or a delayMs');
  }
  if (fault.status !== undefined && !(Number.isInteger(fault.status) && fault.status >= 100 && fault.status <= 599)) {
    throw new TypeError(`fault status must be an HTTP status code (got ${String(fault.status)})`);
  }
}
