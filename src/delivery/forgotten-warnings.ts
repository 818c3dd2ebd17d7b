import { diag } from '@opentelemetry/api';
import { FORGOTTEN_MEANING, type ForgottenCounts } from './delivery-stats';

/**
 * Says, once per kind and then at most once an hour, that a bounded memory forgot something
 * early (see {@link ForgottenCounts}): the counts stay in `stats()`; the warning says what they
 * can lead to. Used by the exporter and the bridge.
 */
export class ForgottenWarnings {
  private readonly said = new Map<keyof ForgottenCounts, { count: number; at: number }>();

  constructor(
    private readonly warn: (message: string) => void = (message) => diag.warn(`agentsight: ${message}`),
    private readonly clock: () => number = Date.now,
  ) {}

  /** Looks at the latest counts and warns for each kind that grew (throttled). */
  observe(counts: ForgottenCounts): void {
    for (const kind of Object.keys(FORGOTTEN_MEANING) as (keyof ForgottenCounts)[]) {
      const count = counts[kind];
      const last = this.said.get(kind);
      if (count === 0 || count === last?.count) continue;
      if (last !== undefined && this.clock() - last.at < 3_600_000) continue;
      this.said.set(kind, { count, at: this.clock() });
      this.warn(`${FORGOTTEN_MEANING[kind]} (forgotten.${kind}: ${count} so far)`);
    }
  }
}
