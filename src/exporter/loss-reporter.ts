import { diag } from '@opentelemetry/api';
import { loggable, sentence } from '../common/log-text';
import {
  type DeliveryFailure,
  type DeliveryStats,
  type DropReason,
  describeDrops,
  droppedSince,
  emptyStats,
  totalDropped,
} from '../delivery/delivery-stats';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** At most one loss summary per this long, after the first loss (which is reported at once). */
export const LOSS_SUMMARY_EVERY_MILLIS = 60_000;

/** True when the application (or an SDK) has installed an OpenTelemetry diag logger. */
export function hasDiagLogger(): boolean {
  // The API keeps its registered globals under this well-known symbol.
  const globals = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[Symbol.for('opentelemetry.js.api.1')];
  return globals?.diag !== undefined;
}

/**
 * Makes every loss heard, without flooding: the first loss is a WARN at once, naming an example
 * and the reasons; later ones are summed into at most one WARN a minute. When the application has
 * no diag logger (so WARNs go nowhere), the first loss is also printed once on stderr, saying how
 * to see more. Texts are redacted by `redact` and bounded.
 */
export class LossReporter {
  private reported: Pick<DeliveryStats, 'dropped'> = emptyStats();
  private firstReported = false;
  private printedToStderr = false;
  private summaryTimer: NodeJS.Timeout | undefined;
  private pendingExample: DeliveryFailure | undefined;
  /** The counters to summarise when the minute is up. */
  private latest: Pick<DeliveryStats, 'dropped'> | undefined;

  constructor(
    private readonly redact: (text: string) => string,
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  /** Looks at the latest counters and failure examples; reports what is new. */
  observe(stats: Pick<DeliveryStats, 'dropped'>, failures: readonly DeliveryFailure[]): void {
    this.pendingExample ??= failures[0];
    if (totalDropped(stats) === totalDropped(this.reported)) return;
    if (!this.firstReported) {
      this.firstReported = true;
      this.report(stats, 'AgentSight data was lost');
      return;
    }
    if (this.summaryTimer === undefined) {
      this.summaryTimer = setTimeout(() => {
        this.summaryTimer = undefined;
        this.report(this.latest ?? stats, 'more AgentSight data was lost in the last minute');
      }, LOSS_SUMMARY_EVERY_MILLIS);
      this.summaryTimer.unref?.();
    }
    this.latest = stats;
  }

  private report(stats: Pick<DeliveryStats, 'dropped'>, what: string): void {
    const drops = droppedSince(stats, this.reported);
    this.reported = { dropped: { ...stats.dropped } };
    const count = Object.values(drops).reduce((a, b) => a + (b ?? 0), 0);
    const example = this.pendingExample;
    this.pendingExample = undefined;
    const detail =
      example === undefined
        ? ''
        : `; e.g. ${example.label} of conversation ${loggable(example.conversationId)}: ${loggable(this.redact(example.message), 500)}`;
    const hint =
      drops.not_sampled === undefined
        ? ''
        : '. not_sampled counts conversation turns the application’s sampler did not record: wrap it, ' +
          '`sampler: new AgentSightSampler(yourSampler)` (README, Sampling)';
    const line = `${what}: ${count} item(s) not delivered (${describeDrops(drops)})${detail}${hint}`;
    log.warn(line);
    if (!this.printedToStderr && !hasDiagLogger()) {
      this.printedToStderr = true;
      this.write(
        `agentsight-otel: ${sentence(line)} Later losses are counted (exporter.stats(), agentsight.delivery.* metrics) ` +
          'and logged through OpenTelemetry diag; set AGENTSIGHT_LOG_LEVEL=WARNING (or INFO) to see them.\n',
      );
    }
  }
}

/** The counts of a set of drops, for errors. */
export type DropCounts = Partial<Record<DropReason, number>>;
