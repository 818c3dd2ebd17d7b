/**
 * Deadlines of requests on the wire, watched by one timer instead of one timer and one
 * `AbortController` per request (which were, with undici's stream per answer, most of delivery's
 * CPU per request beyond the socket writes: issue 22). The timer ticks only while something is
 * watched, and is unref'd: it never holds a process open. A deadline is met within one tick.
 *
 * Time the process did not run does not count against a request. A function the platform froze
 * (Lambda, Vercel, Cloud Run; SIGSTOP here) thaws with its clock jumped past every deadline, and
 * timers run before the sockets are read: the answers waiting there were judged missing and the
 * requests sent again (issue 27: one message stored 4× against an API without idempotency). So a
 * tick that comes far later than it should moves every deadline on by the time that was lost, and
 * the next check waits until the sockets have been read (an immediate runs after the poll phase).
 */
export class Deadlines<T extends { expire(): void }> {
  private readonly watched = new Map<T, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastCheck = 0;

  /**
   * @param tickMillis - how often deadlines are checked: the most a deadline can be overrun
   * @param lateMillis - a tick this much later than due means the process did not run meanwhile
   *   (a freeze); 1 s, above what a loaded machine delays a tick (500 ms let a test's tight
   *   deadline slip while other suites loaded the CPU), below the freezes that matter (seconds)
   * @param clock - the time (epoch ms), for tests
   */
  constructor(
    private readonly tickMillis = 25,
    private readonly lateMillis = 1_000,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Watches `entry`: its `expire()` is called once its deadline (epoch ms) has passed. */
  watch(entry: T, deadline: number): void {
    this.watched.set(entry, deadline);
    if (this.timer === undefined) {
      this.lastCheck = this.clock();
      this.timer = setInterval(() => this.tick(), this.tickMillis);
      this.timer.unref();
    }
  }

  /** Stops watching `entry` (it settled). The timer stops at its next tick with nothing left. */
  forget(entry: T): void {
    this.watched.delete(entry);
  }

  /** Deadlines watched now. */
  get size(): number {
    return this.watched.size;
  }

  private tick(): void {
    const now = this.clock();
    const lost = now - this.lastCheck - this.tickMillis;
    this.lastCheck = now;
    if (lost <= this.lateMillis) {
      this.check(now);
      return;
    }
    // Frozen (or blocked) for `lost` ms: that time is given back, and answers that arrived
    // meanwhile are read before anything is judged.
    for (const [entry, deadline] of this.watched) this.watched.set(entry, deadline + lost);
    setImmediate(() => this.check(this.clock()));
  }

  private check(now: number): void {
    for (const [entry, deadline] of this.watched) {
      if (deadline > now) continue;
      this.watched.delete(entry);
      entry.expire();
    }
    if (this.watched.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
