/**
 * Whether the API can be sent to now, as one endpoint-wide view. After `threshold` transient
 * failures in a row (network errors, timeouts, 5xx) the circuit opens: nothing is sent until the
 * next probe time, then exactly one request goes out (half-open). Its success closes the circuit;
 * its failure opens it again with a longer wait (×2, up to `maxProbeDelayMillis`). So during an
 * outage the API sees one probe at a time instead of one request per waiting conversation.
 *
 * A `Retry-After` pauses the whole endpoint until then, whatever the circuit says. Pure: the
 * clock comes in as an argument.
 */
export class CircuitBreaker {
  private failuresInARow = 0;
  private state: 'closed' | 'open' | 'half-open' = 'closed';
  private probeDelay: number;
  private nextProbeAt = 0;
  private pausedUntil = 0;
  /** The error code of the failure that opened the circuit, e.g. ECONNREFUSED. */
  private openedBy: string | undefined;
  /** True while the half-open probe is on the wire. */
  private probing = false;

  constructor(
    private readonly threshold: number,
    private readonly firstProbeDelayMillis: number,
    private readonly maxProbeDelayMillis: number,
  ) {
    this.probeDelay = firstProbeDelayMillis;
  }

  /** `closed`, `open` or `half-open`. */
  get status(): 'closed' | 'open' | 'half-open' {
    return this.state;
  }

  /** What made the circuit open, while it is not closed. */
  get cause(): string | undefined {
    return this.state === 'closed' ? undefined : this.openedBy;
  }

  /**
   * How many requests may start now, given `inFlight` on the wire and the `limit`: 0 while paused
   * or open, 1 for the probe, else what the limit leaves. Call {@link sent} for each one started.
   */
  allowance(now: number, inFlight: number, limit: number): number {
    if (now < this.pausedUntil) return 0;
    if (this.state === 'open') {
      if (now < this.nextProbeAt) return 0;
      this.state = 'half-open';
    }
    if (this.state === 'half-open') return this.probing ? 0 : 1;
    return Math.max(0, limit - inFlight);
  }

  /** A request was started; in half-open state it is the probe. */
  sent(): void {
    if (this.state === 'half-open') this.probing = true;
  }

  /** When sending may resume, if it is held back now; undefined when it is not. */
  resumeAt(now: number): number | undefined {
    const at = Math.max(this.pausedUntil, this.state === 'open' ? this.nextProbeAt : 0);
    return at > now ? at : undefined;
  }

  /** How long sending stays held back from `now`, in ms; undefined when it is not. */
  heldFor(now: number): number | undefined {
    const at = this.resumeAt(now);
    return at === undefined ? undefined : at - now;
  }

  /** A request got an answer that shows the API is there (any status but 5xx/408/429). */
  succeeded(): void {
    this.probing = false;
    this.failuresInARow = 0;
    this.probeDelay = this.firstProbeDelayMillis;
    this.state = 'closed';
    this.openedBy = undefined;
  }

  /** A request failed in a way that says the API may be down. */
  failed(now: number, code: string): void {
    this.probing = false;
    this.failuresInARow += 1;
    if (this.state === 'half-open') {
      this.probeDelay = Math.min(this.maxProbeDelayMillis, this.probeDelay * 2);
      this.open(now, code);
    } else if (this.state === 'closed' && this.failuresInARow >= this.threshold) {
      this.open(now, code);
    }
  }

  /** The API asked to be left alone until `until` (Retry-After). */
  pause(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  private open(now: number, code: string): void {
    this.state = 'open';
    this.openedBy = code;
    this.nextProbeAt = now + this.probeDelay;
  }
}
