/**
 * Entry point of the delivery worker thread: receives plans from the exporter, delivers them with
 * the same code the main thread would use, and answers with the report.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChannelSettings, inThreadChannel } from './delivery-channel';
import type { WorkerReply, WorkerRequest } from './worker-channel';

const port = parentPort;
if (port === null) throw new Error('delivery-worker runs as a worker thread only');
const channel = inThreadChannel(workerData as ChannelSettings);

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'deliver') {
    channel.deliver(request.plans, request.deadline).then(
      (report) => port.postMessage({ type: 'report', id: request.id, report } satisfies WorkerReply),
      (error: unknown) =>
        port.postMessage({
          type: 'report',
          id: request.id,
          report: {
            delivered: 0,
            retries: 0,
            failures: request.plans.map((plan) => ({
              conversationId: plan.conversationId,
              label: 'the export',
              reason: 'worker',
              message: String(error),
            })),
          },
        } satisfies WorkerReply),
    );
  } else {
    channel.close().finally(() => {
      port.postMessage({ type: 'closed' } satisfies WorkerReply);
      port.close();
    });
  }
});
