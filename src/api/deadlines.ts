/**
 * Deadlines of requests on the wire, watched by one timer instead of one timer and one
 * `AbortController` per request (which were, with undici's stream per answer, most of delivery's
 * CPU per request beyond the socket writes: issue 22). The timer ticks only while something is
 * watched, and is unref'd: it never holds a process open. A deadline is met within one tick.
 */
export class Deadlines<T extends { expire(): void }> {
  private readonly watched = new Map<T, number>();
  private timer: NodeJS.Timeout | undefined;

  /** @param tickMillis - how often deadlines are checked: the most a deadline can be overrun */
  constructor(private readonly tickMillis = 25) {}

  /** Watches `entry`: its `expire()` is called once its deadline (epoch ms) has passed. */
  watch(entry: T, deadline: number): void {
    this.watched.set(entry, deadline);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.check(), this.tickMillis);
      this.timer.unref();
    }
  }

  /** Stops watching `entry` (it settled). The timer stops at its next tick with nothing left. */
  forget(entry: T): void {
    this.watched.delete(entry);
  }

  private check(): void {
    const now = Date.now();
    for (const [entry, deadline] of this.watched) {
      if (deadline > now) continue;
      this.watched.delete(entry);
      entry.expire();
    }
    if (this.watched.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
