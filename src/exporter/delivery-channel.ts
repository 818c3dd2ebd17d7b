import { Delivery, type DeliveryReport, type DeliverySettings } from './delivery';
import type { ConversationPlan } from './payloads';
import { createHttpTransport } from './transport';

/** Everything needed to deliver, as plain data (it is handed to a worker thread). */
export interface ChannelSettings {
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly delivery: DeliverySettings;
}

/** Where plans go to be delivered: this thread, or a worker thread. */
export interface DeliveryChannel {
  /** Delivers the plans before `deadline` (epoch ms); never rejects. */
  deliver(plans: readonly ConversationPlan[], deadline: number): Promise<DeliveryReport>;
  /** Stops retrying and closes connections. */
  close(): Promise<void>;
}

/** Delivery on the calling thread. */
export function inThreadChannel(settings: ChannelSettings): DeliveryChannel {
  const transport = createHttpTransport(new URL(settings.endpoint), settings.headers, settings.delivery.concurrency);
  const delivery = new Delivery(transport, settings.delivery);
  return {
    deliver: (plans, deadline) => delivery.deliver(plans, deadline),
    close: async () => {
      delivery.close();
      await transport.close();
    },
  };
}
