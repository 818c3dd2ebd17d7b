import { diag } from '@opentelemetry/api';
import type { ExporterConfig } from '../api/config';
import type { FinishedSpan } from '../common/sdk-shapes';
import { maskText } from '../decorators/masking';
import type { DeliveryChannel } from '../delivery/delivery-channel';
import type { DropReason, ForgottenCounts } from '../delivery/delivery-stats';
import { ForgottenWarnings } from '../delivery/forgotten-warnings';
import { GenAiHistory, UnnamedTraces } from '../mapping/genai/genai-history';
import type { GenAiRead } from '../mapping/genai/genai-items';
import { longGenAiSpans, type MappingOptions, toConversationPlans } from '../mapping/mapping';
import { warnUnreadable, withAttachedFiles } from './export-helpers';
import { evictedGenAiEvents, withGenAiEvents } from './genai-events';
import { readAheadInSlices } from './read-ahead';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** Says what the process's memories forgot (one voice for every exporter: the events store is shared). */
const forgottenWarnings = new ForgottenWarnings();

/**
 * The exporter's mapping: spans to plans handed to delivery, with the memories zero code keeps
 * (the history, traces that named no conversation). An export is mapped at once, unless it holds
 * long GenAI histories: then they are read ahead in slices between turns of the event loop (one
 * export of 64 calls with 2 MB histories blocked the application for 283 ms, issue 30), and the
 * exports after it wait their turn, so hand-overs keep the order spans ended in.
 */
export class ExportMapping {
  /** GenAI items already handed over: each LLM call repeats the history (see `GenAiHistory`). */
  private readonly history = new GenAiHistory();
  private readonly unnamedTraces = new UnnamedTraces();
  private readonly unreadableSpanNames = new Set<string>();
  private readonly options: MappingOptions;
  /** The last export still being read ahead, or undefined when none waits. */
  private tail: Promise<void> | undefined;
  private waiting = 0;

  constructor(
    private readonly config: ExporterConfig,
    private readonly channel: DeliveryChannel,
    private readonly countDrop: (reason: DropReason, count: number) => void,
  ) {
    this.options = {
      environment: config.environment,
      maxFieldLength: config.maxFieldLength,
      traceLinks: config.traceLinks,
      genAi: config.genAi,
      genAiHistory: this.history,
      genAiConversationKeys: config.genAiConversationAttributes,
      genAiMask: maskText,
    };
  }

  /** Maps `spans` and hands their plans over, now or in their turn; `done` once handed over. Never throws. */
  take(spans: FinishedSpan[], done: () => void): void {
    // Events of LLM calls (AgentSightLogRecordProcessor) join their spans here too, so a
    // BatchSpanProcessor around the exporter reads them as AgentSightSpanProcessor does
    // (issue 30: that set-up gave 0 conversations and kept the events forever).
    const read = this.config.genAi ? spans.map(withGenAiEvents) : spans;
    const long = this.config.genAi ? longGenAiSpans(read, this.options) : [];
    if (this.tail === undefined && long.length === 0) {
      this.handOver(read, undefined);
      done();
      return;
    }
    this.waiting += spans.length;
    const next = (this.tail ?? Promise.resolve())
      .then(() => readAheadInSlices(read, this.options, long))
      .then((ahead) => this.handOver(read, ahead))
      .then(() => {
        this.waiting -= spans.length;
        if (this.tail === next) this.tail = undefined;
        done();
      });
    this.tail = next;
  }

  /** Resolves once every export taken is handed over. */
  idle(): Promise<void> {
    return this.tail ?? Promise.resolve();
  }

  /** Spans taken and not yet handed over (an exit now loses them). */
  get spansWaiting(): number {
    return this.waiting;
  }

  /** What this process's zero-code memories forgot for room (the bridge's own memory is not here). */
  forgotten(): ForgottenCounts {
    return { genai_history: this.history.evicted, genai_events: evictedGenAiEvents(), settled_items: 0 };
  }

  private handOver(spans: FinishedSpan[], ahead: ReadonlyMap<FinishedSpan, GenAiRead | string> | undefined): void {
    try {
      const options = ahead === undefined ? this.options : { ...this.options, genAiReadAhead: ahead };
      const { plans, dropped, unnamedGenAiTraces, overLimitMessages } = toConversationPlans(spans, options);
      this.countDrop('no_conversation', this.unnamedTraces.countNew(unnamedGenAiTraces));
      this.countDrop('too_many_messages', overLimitMessages);
      if (dropped.length > 0) {
        warnUnreadable(dropped, this.unreadableSpanNames);
        this.countDrop('unreadable_span', dropped.length);
      }
      if (this.config.genAi) forgottenWarnings.observe(this.forgotten());
      if (plans.length > 0)
        this.channel.enqueue(plans.map((plan) => withAttachedFiles(plan, (reason) => this.countDrop(reason, 1))));
    } catch (error) {
      // Mapping isolates each span, so this is a bug of ours; it must still not reach the app.
      log.error('could not hand spans to AgentSight delivery', error);
      this.countDrop('unreadable_span', spans.length);
    }
  }
}
