import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ConversationPlan } from '../mapping/payloads';
import type { ChannelSettings, DeliveryChannel } from './delivery-channel';
import { type DeliveryFailure, type DeliveryStats, DROP_REASONS, emptyStats } from './delivery-stats';
import { DELIVERY_WORKER_SOURCE } from './delivery-worker-source';
import { startThreadPoolAtApplicationPriority } from './thread-priority';

/** Messages to the delivery thread. */
export type WorkerRequest =
  | { readonly type: 'enqueue'; readonly seq: number; readonly plans: readonly ConversationPlan[] }
  | { readonly type: 'flush'; readonly id: number; readonly deadline: number; readonly final: boolean }
  | { readonly type: 'close' };

/** Messages from the delivery thread. */
export type WorkerReply =
  | {
      readonly type: 'stats';
      /** The last enqueue the thread took over: earlier plans are its responsibility now. */
      readonly acceptedSeq: number;
      readonly stats: DeliveryStats;
      readonly failures: DeliveryFailure[];
    }
  | { readonly type: 'flushed'; readonly id: number }
  | { readonly type: 'closed' };

/** The compiled worker entry point, next to this file: used only by a build without the bundled source. */
const DELIVERY_WORKER_FILE = join(__dirname, 'delivery-worker.js');

/** How the thread is started: from its bundled source (every build), or from a file. */
export type WorkerCode = { readonly source: string } | { readonly file: string };

function defaultWorkerCode(): WorkerCode {
  return DELIVERY_WORKER_SOURCE !== undefined ? { source: DELIVERY_WORKER_SOURCE } : { file: DELIVERY_WORKER_FILE };
}

/** How long past its deadline a flush waits for the thread before giving up on it. */
const ANSWER_GRACE_MILLIS = 2_000;
/** How long `close()` waits for the thread to finish. */
const CLOSE_WAIT_MILLIS = 5_000;

/** A warning the channel wants logged (it has no logger of its own). */
export type ChannelWarning = (message: string) => void;

/**
 * The delivery queue on a worker thread, so that the HTTP work (one request per AgentSight item)
 * never runs on the application's event loop. The thread starts at the first hand-over, holds
 * the process open only while it has requests to send, and reports its counters back.
 *
 * The thread starts from its bundled source (see `scripts/build-worker.mjs`), so application
 * bundlers cannot lose it. If it cannot start or dies (a preload that fails in workers, memory),
 * delivery moves to the main thread for good, with a warning. Plans the thread had not
 * yet taken over are handed to the main thread; what it had queued is counted as
 * `delivery_thread_lost`.
 */
export class WorkerChannel implements DeliveryChannel {
  onChange: (() => void) | undefined;
  private worker: Worker | undefined;
  private fallback: DeliveryChannel | undefined;
  private latest: DeliveryStats = emptyStats();
  private lost = 0;
  private failures: DeliveryFailure[] = [];
  private nextSeq = 1;
  /**
   * Plans posted before the thread is known to run, by sequence number: if it cannot start, they
   * go to the main thread. Once it runs, only their count is kept (holding every plan until the
   * thread acknowledges it would double the memory of a busy exporter).
   */
  private readonly unacknowledged = new Map<number, readonly ConversationPlan[]>();
  /** Items posted to the running thread and not yet acknowledged, by sequence number. */
  private readonly inTransit = new Map<number, number>();
  private online = false;
  private readonly flushes = new Map<number, { deadline: number; final: boolean; resolve: () => void }>();
  private nextFlushId = 1;
  private closing = false;

  constructor(
    private readonly settings: ChannelSettings,
    private readonly makeFallback: () => DeliveryChannel,
    private readonly warn: ChannelWarning,
    private readonly code: WorkerCode = defaultWorkerCode(),
  ) {}

  enqueue(plans: readonly ConversationPlan[]): void {
    const worker = this.fallback === undefined ? (this.worker ?? this.start()) : undefined;
    if (worker === undefined) {
      // No thread (it failed to start, or failed over): the main thread delivers.
      this.fallback?.enqueue(plans);
      return;
    }
    const seq = this.nextSeq++;
    if (this.online) {
      this.inTransit.set(
        seq,
        plans.reduce((n, plan) => n + plan.items.length, 0),
      );
    } else {
      this.unacknowledged.set(seq, plans);
    }
    worker.ref();
    worker.postMessage({ type: 'enqueue', seq, plans } satisfies WorkerRequest);
  }

  flush(deadline: number, final: boolean): Promise<void> {
    if (this.fallback !== undefined) return this.fallback.flush(deadline, final);
    const worker = this.worker;
    if (worker === undefined) return Promise.resolve();
    const id = this.nextFlushId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.finishFlush(id), Math.max(0, deadline - Date.now()) + ANSWER_GRACE_MILLIS);
      this.flushes.set(id, {
        deadline,
        final,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      worker.ref();
      worker.postMessage({ type: 'flush', id, deadline, final } satisfies WorkerRequest);
    });
  }

  stats(): DeliveryStats {
    const own = this.fallback?.stats();
    if (own === undefined && this.lost === 0) return this.latest;
    // After a fail-over: what the thread did before it died, plus what the main thread does now.
    const merged = own ?? { ...this.latest, dropped: { ...this.latest.dropped } };
    if (own !== undefined) {
      merged.delivered += this.latest.delivered;
      merged.conversationsCreated += this.latest.conversationsCreated;
      merged.retried += this.latest.retried;
      for (const reason of DROP_REASONS) merged.dropped[reason] += this.latest.dropped[reason];
    }
    merged.dropped = { ...merged.dropped, delivery_thread_lost: merged.dropped.delivery_thread_lost + this.lost };
    return merged;
  }

  unsentItems(): number {
    if (this.fallback !== undefined) return this.fallback.unsentItems();
    let items = this.latest.queuedItems;
    for (const count of this.inTransit.values()) items += count;
    for (const plans of this.unacknowledged.values()) for (const plan of plans) items += plan.items.length;
    return items;
  }

  takeFailures(): DeliveryFailure[] {
    const taken = [...this.failures, ...(this.fallback?.takeFailures() ?? [])];
    this.failures = [];
    return taken;
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (worker !== undefined) {
      await new Promise<void>((done) => {
        const timer = setTimeout(done, CLOSE_WAIT_MILLIS);
        worker.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        worker.on('message', (reply: WorkerReply) => reply.type === 'closed' && worker.terminate());
        worker.ref();
        worker.postMessage({ type: 'close' } satisfies WorkerRequest);
      });
      await worker.terminate();
    }
    await this.fallback?.close();
  }

  private start(): Worker | undefined {
    startThreadPoolAtApplicationPriority();
    try {
      const worker = new Worker('source' in this.code ? this.code.source : this.code.file, {
        eval: 'source' in this.code,
        workerData: this.settings,
        // The app's --require preloads belong to the main thread; NODE_OPTIONS preloads still run
        // in workers, so an OpenTelemetry SDK among them is told to stay off there.
        execArgv: [],
        // The thread's live data is the queue (bounded by maxQueueBytes, measured as heap) plus
        // requests in flight, but it makes much short-lived garbage (plans deserialised, JSON,
        // HTTP), and with the default limits (gigabytes) V8 let it reach 280 MB of heap while a
        // 64 MiB queue drained after an outage. These limits make it collect sooner: +357 MB →
        // +171 MB RSS for that drain. Past them the thread dies and delivery fails over, counted.
        resourceLimits: {
          maxYoungGenerationSizeMb: 8,
          maxOldGenerationSizeMb: Math.ceil((2 * this.settings.delivery.maxQueueBytes) / (1024 * 1024)) + 96,
        },
        env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
      });
      worker.on('online', () => {
        this.online = true;
      });
      worker.on('message', (reply: WorkerReply) => this.receive(reply));
      worker.on('error', (error) => this.failOver(error));
      worker.on('exit', (code) => {
        if (!this.closing) this.failOver(new Error(`the delivery thread exited with code ${code}`));
      });
      worker.unref();
      this.worker = worker;
      return worker;
    } catch (error) {
      this.failOver(error);
      return undefined;
    }
  }

  private receive(reply: WorkerReply): void {
    if (reply.type === 'stats') {
      for (const seq of this.unacknowledged.keys()) if (seq <= reply.acceptedSeq) this.unacknowledged.delete(seq);
      for (const seq of this.inTransit.keys()) if (seq <= reply.acceptedSeq) this.inTransit.delete(seq);
      this.latest = reply.stats;
      this.failures.push(...reply.failures.slice(0, Math.max(0, 20 - this.failures.length)));
      // The thread holds the process only while it has something it can send now.
      const sending = reply.stats.inFlight > 0 || (reply.stats.queuedItems > 0 && reply.stats.circuit === 'closed');
      if (!sending && this.flushes.size === 0 && this.unacknowledged.size === 0 && this.inTransit.size === 0) {
        this.worker?.unref();
      }
      this.onChange?.();
    } else if (reply.type === 'flushed') {
      this.finishFlush(reply.id);
    }
  }

  private finishFlush(id: number): void {
    const flush = this.flushes.get(id);
    if (flush === undefined) return;
    this.flushes.delete(id);
    flush.resolve();
  }

  /** Moves delivery to the main thread for good, handing over what the thread had not taken. */
  private failOver(error: unknown): void {
    if (this.fallback !== undefined || this.closing) return;
    this.warn(
      `the delivery thread is unavailable (${error instanceof Error ? error.message : String(error)}); delivering on the main thread`,
    );
    const fallback = this.makeFallback();
    fallback.onChange = () => this.onChange?.();
    this.fallback = fallback;
    this.lost = this.latest.queuedItems + [...this.inTransit.values()].reduce((a, b) => a + b, 0);
    this.inTransit.clear();
    const worker = this.worker;
    this.worker = undefined;
    worker?.terminate().catch(() => undefined);
    for (const plans of this.unacknowledged.values()) fallback.enqueue(plans);
    this.unacknowledged.clear();
    for (const [id, flush] of this.flushes) {
      this.flushes.delete(id);
      fallback.flush(flush.deadline, flush.final).then(flush.resolve);
    }
    this.onChange?.();
  }
}
