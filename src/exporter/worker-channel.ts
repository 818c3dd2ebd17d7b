import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { DeliveryReport } from './delivery';
import type { ChannelSettings, DeliveryChannel } from './delivery-channel';
import type { ConversationPlan } from './payloads';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** Messages to the worker. */
export type WorkerRequest =
  | {
      readonly type: 'deliver';
      readonly id: number;
      readonly plans: readonly ConversationPlan[];
      readonly deadline: number;
    }
  | { readonly type: 'close' };

/** Messages from the worker. */
export type WorkerReply =
  | { readonly type: 'report'; readonly id: number; readonly report: DeliveryReport }
  | { readonly type: 'closed' };

/** The compiled worker entry point, next to this file. */
const DELIVERY_WORKER_FILE = join(__dirname, 'delivery-worker.js');

/** How long past its deadline an export may wait for the worker before it is reported failed. */
const ANSWER_GRACE_MILLIS = 2_000;
/** How long `close()` waits for the worker to finish. */
const CLOSE_WAIT_MILLIS = 5_000;

interface Pending {
  readonly plans: readonly ConversationPlan[];
  readonly deadline: number;
  readonly resolve: (report: DeliveryReport) => void;
  readonly timer: NodeJS.Timeout;
}

function failedReport(plans: readonly ConversationPlan[], reason: string, message: string): DeliveryReport {
  return {
    delivered: 0,
    retries: 0,
    failures: plans.map((plan) => ({ conversationId: plan.conversationId, label: 'the export', reason, message })),
  };
}

/**
 * Delivery in a worker thread, so that the HTTP work (one request per AgentSight item) never
 * runs on the application's event loop. The worker is started at the first export, holds the
 * process open only while deliveries are in flight, and is told to close on shutdown.
 *
 * If the worker cannot start or dies (a bundler that dropped its file, a preload that fails in
 * workers), delivery falls back to the main thread, once, with a warning; exports in flight are
 * handed over, so nothing is lost (their Idempotency-Keys cover a request the worker had sent).
 */
export class WorkerChannel implements DeliveryChannel {
  private worker: Worker | undefined;
  private fallback: DeliveryChannel | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;

  constructor(
    private readonly settings: ChannelSettings,
    private readonly makeFallback: () => DeliveryChannel,
    private readonly workerFile: string = DELIVERY_WORKER_FILE,
  ) {}

  deliver(plans: readonly ConversationPlan[], deadline: number): Promise<DeliveryReport> {
    if (this.fallback !== undefined) return this.fallback.deliver(plans, deadline);
    const worker = this.worker ?? this.start();
    if (worker === undefined) return this.deliver(plans, deadline);
    const id = this.nextId++;
    return new Promise<DeliveryReport>((resolve) => {
      const timer = setTimeout(
        () => this.settle(id, failedReport(plans, 'timeout', 'the delivery thread did not answer in time')),
        Math.max(0, deadline - Date.now()) + ANSWER_GRACE_MILLIS,
      );
      this.pending.set(id, { plans, deadline, resolve, timer });
      worker.ref();
      worker.postMessage({ type: 'deliver', id, plans, deadline } satisfies WorkerRequest);
    });
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
    try {
      const worker = new Worker(this.workerFile, {
        workerData: this.settings,
        // The app's --require preloads belong to the main thread; NODE_OPTIONS preloads still run
        // in workers, so an OpenTelemetry SDK among them is told to stay off there.
        execArgv: [],
        env: { ...process.env, OTEL_SDK_DISABLED: 'true' },
      });
      worker.on('message', (reply: WorkerReply) => {
        if (reply.type === 'report') this.settle(reply.id, reply.report);
      });
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

  private settle(id: number, report: DeliveryReport): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (this.pending.size === 0) this.worker?.unref();
    pending.resolve(report);
  }

  /** Moves delivery to the main thread for good, re-delivering what the worker had not answered. */
  private failOver(error: unknown): void {
    if (this.fallback !== undefined || this.closing) return;
    log.warn(
      `the delivery thread is unavailable (${error instanceof Error ? error.message : String(error)}); delivering on the main thread`,
    );
    this.fallback = this.makeFallback();
    const worker = this.worker;
    this.worker = undefined;
    worker?.terminate().catch(() => undefined);
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      clearTimeout(pending.timer);
      this.fallback.deliver(pending.plans, pending.deadline).then(pending.resolve);
    }
  }
}
