/**
 * Callers waiting for the queue to empty, each with its own deadline. Each promise settles once:
 * when the queue empties ({@link resolveAll}) or at its deadline, whichever comes first.
 */
export class FlushWaiters {
  private waiters: { resolve: () => void; timer: NodeJS.Timeout }[] = [];

  /** Whether anyone waits. */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /**
   * A promise that resolves at {@link resolveAll}, or after `delayMillis`, having called
   * `onDeadline` first.
   */
  add(delayMillis: number, onDeadline: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter = {
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          onDeadline();
          resolve();
        }, delayMillis),
      };
      // Not unref'd: an application that awaits a flush must still be running when it settles
      // (with nothing else holding the event loop, it would exit in the middle of the await).
      this.waiters.push(waiter);
    });
  }

  /** Resolves every waiting promise now. */
  resolveAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }
}
