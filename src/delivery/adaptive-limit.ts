/**
 * How many requests may be on the wire at once, adapted to the API's health (additive increase,
 * multiplicative decrease, as TCP does): it grows by one for each healthy answer while the limit
 * is in use (so it about doubles per round trip), and halves on a sign of overload (429, 503, a
 * timeout), at most once per `cooldownMillis` so that one burst of bad answers counts once.
 * Pure: the clock comes in as an argument.
 */
export class AdaptiveLimit {
  private value: number;
  private lastDecrease = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly initial: number,
    private readonly max: number,
    private readonly cooldownMillis = 500,
  ) {
    this.value = Math.min(initial, max);
  }

  /** The limit now. */
  get current(): number {
    return this.value;
  }

  /** A healthy answer arrived while `inFlight` requests (this one included) were on the wire. */
  grow(inFlight: number): void {
    if (inFlight >= this.value - 1 && this.value < this.max) this.value += 1;
  }

  /** The API showed overload. */
  shrink(now: number): void {
    if (now - this.lastDecrease < this.cooldownMillis) return;
    this.lastDecrease = now;
    this.value = Math.max(1, Math.floor(this.value / 2));
  }

  /** Back to the starting value (after an outage: start slowly again). */
  reset(): void {
    this.value = Math.min(this.initial, this.max);
  }
}
