/**
 * Entry point of the delivery thread: owns the delivery queue, takes plans from the exporter, and
 * sends its counters back (throttled) so the application's thread can log, measure and report.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChannelSettings, inThreadChannel } from './delivery-channel';
import { lowerThisThreadsPriority } from './thread-priority';
import type { WorkerReply, WorkerRequest } from './worker-channel';

const port = parentPort;
if (port === null) throw new Error('delivery-worker runs as a worker thread only');
// Delivery yields the CPU to the application when both want it: its requests can wait a few
// milliseconds, the application's cannot (issue 22: the thread shared a CPU with the requests it tracked).
lowerThisThreadsPriority();
const channel = inThreadChannel(workerData as ChannelSettings);

/** Counters reach the application's thread at most this often, unless a flush asks. */
const STATS_EVERY_MILLIS = 100;
let acceptedSeq = 0;
let statsTimer: NodeJS.Timeout | undefined;

function postStats(): void {
  clearTimeout(statsTimer);
  statsTimer = undefined;
  port?.postMessage({
    type: 'stats',
    acceptedSeq,
    stats: channel.stats(),
    failures: channel.takeFailures(),
  } satisfies WorkerReply);
}

channel.onChange = () => {
  statsTimer ??= setTimeout(postStats, STATS_EVERY_MILLIS);
};

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'enqueue') {
    acceptedSeq = request.seq;
    channel.enqueue(request.plans);
  } else if (request.type === 'flush') {
    channel.flush(request.deadline, request.final).then(() => {
      postStats();
      port.postMessage({ type: 'flushed', id: request.id } satisfies WorkerReply);
    });
  } else {
    channel.close().finally(() => {
      postStats();
      port.postMessage({ type: 'closed' } satisfies WorkerReply);
      port.close();
    });
  }
});
