import { expect } from 'chai';
import fc from 'fast-check';
import { type HttpAnswer, type Transport, TransportError } from '#internal/api/transport';
import { DeliveryQueue, type DeliverySettings } from '#internal/delivery/delivery-queue';
import { DeliveryTicket } from '#internal/delivery/delivery-ticket';
import type { ConversationPlan } from '#internal/mapping/payloads';
import { conversationBody } from '../helpers/receiver';

/**
 * The queue's accounting as an invariant: after every operation the bytes and items it says it
 * holds equal what it holds, counted again. Before, a flush during an outage with a short
 * `maxItemAgeMillis` made `queuedBytes` go negative (−336 KB per 500 conversations, growing each
 * cycle), so `maxQueueBytes` stopped holding; records of conversations whose items had all
 * expired were still created.
 */

/** A request the scripted transport holds until the property answers it. */
interface Pending {
  readonly path: string;
  readonly settle: (outcome: 'ok' | 'unavailable' | 'refused' | 'bad') => void;
}

function scriptedTransport(pending: Pending[]): Transport {
  let nextId = 1;
  const post = (path: string) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      pending.push({
        path,
        settle: (outcome) => {
          if (outcome === 'refused') reject(new TransportError('ECONNREFUSED', 'refused'));
          else if (outcome === 'ok') resolve({ status: 201, headers: {}, text: `{"id":${nextId++}}` });
          else resolve({ status: outcome === 'bad' ? 400 : 503, headers: {}, text: '{"detail":"no"}' });
        },
      });
    });
  return { post, request: (_method, path) => post(path), close: async () => undefined };
}

const SETTINGS: DeliverySettings = {
  requestTimeoutMillis: 1_000,
  maxRetries: 2,
  backoff: { initialDelayMillis: 1, maxDelayMillis: 2, multiplier: 1, jitter: 0 },
  concurrency: 4,
  initialConcurrency: 2,
  maxQueueBytes: 6_000,
  maxItemAgeMillis: 1_000,
  maxCachedConversations: 3,
};

function plan(conversation: number, items: number, serial: number): ConversationPlan {
  const conversationId = `c${conversation}`;
  return {
    conversationId,
    record: conversationBody(conversationId),
    recordIdempotencyKey: `record-${conversationId}`,
    items: Array.from({ length: items }, (_, i) => ({
      kind: 'message' as const,
      body: {
        timestamp: '2026-11-28T00:00:00.000000+00:00',
        content: 'x'.repeat(50 + ((serial + i) % 7) * 40),
        sender: 'end_user' as const,
        conversation_id: conversationId,
        metadata: {},
      },
      idempotencyKey: `item-${serial}-${i}`,
      label: 'end_user message',
      atMicros: 1_000 * (serial * 10 + i),
    })),
  };
}

type Step =
  | { op: 'enqueue'; conversation: number; items: number; ticketed: boolean }
  | { op: 'answer'; which: number; outcome: 'ok' | 'unavailable' | 'refused' | 'bad' }
  | { op: 'age'; millis: number }
  | { op: 'flush' }
  | { op: 'cancel' }
  | { op: 'shutdown' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('enqueue' as const),
    conversation: fc.integer({ min: 0, max: 5 }),
    items: fc.integer({ min: 0, max: 4 }),
    ticketed: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('answer' as const),
    which: fc.nat(),
    outcome: fc.constantFrom('ok' as const, 'unavailable' as const, 'refused' as const, 'bad' as const),
  }),
  fc.record({ op: fc.constant('age' as const), millis: fc.integer({ min: 100, max: 1_500 }) }),
  fc.constant({ op: 'flush' as const }),
  fc.constant({ op: 'cancel' as const }),
  fc.constant({ op: 'shutdown' as const }),
);

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('reliability: the delivery queue accounts for every byte', () => {
  it('holds queuedBytes and queuedItems equal to what is queued after any sequence of operations', async function () {
    this.timeout(120_000);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 60 }), async (steps) => {
        let now = 1_000_000;
        const pending: Pending[] = [];
        const queue = new DeliveryQueue(
          scriptedTransport(pending),
          SETTINGS,
          (t) => t,
          () => now,
        );
        const tickets: DeliveryTicket[] = [];
        let serial = 0;
        const check = (after: string) => {
          const { queuedBytes, queuedItems } = queue.stats();
          const held = queue.recount();
          expect(queuedBytes, `bytes after ${after}`).to.equal(held.bytes);
          expect(queuedItems, `items after ${after}`).to.equal(held.items);
          expect(queuedBytes, `bytes after ${after}`).to.be.at.least(0).and.at.most(SETTINGS.maxQueueBytes);
        };
        try {
          for (const s of steps) {
            if (s.op === 'enqueue') {
              const ticket = s.ticketed ? new DeliveryTicket() : undefined;
              if (ticket) tickets.push(ticket);
              queue.enqueue([plan(s.conversation, s.items, serial++)], ticket);
            } else if (s.op === 'answer' && pending.length > 0) {
              const [request] = pending.splice(s.which % pending.length, 1);
              request?.settle(s.outcome);
            } else if (s.op === 'age') {
              now += s.millis;
              (queue as unknown as { expiry: { sweep(): void } }).expiry.sweep();
            } else if (s.op === 'flush') {
              void queue.flush(now, false);
            } else if (s.op === 'cancel' && tickets.length > 0) {
              queue.cancel(tickets.shift() as DeliveryTicket);
            } else if (s.op === 'shutdown') {
              void queue.flush(now, true);
              queue.close();
            }
            await settle();
            check(s.op);
          }
          // Whatever is still on the wire ends; then nothing may be held but what is queued.
          while (pending.length > 0) {
            pending.shift()?.settle('ok');
            await settle();
            check('the last answers');
          }
        } finally {
          queue.close();
          while (pending.length > 0) pending.shift()?.settle('ok');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never sends the record of a conversation whose items all expired while it waited in line', async () => {
    let now = 1_000_000;
    const pending: Pending[] = [];
    const roomy = { ...SETTINGS, maxQueueBytes: 1_000_000 };
    const queue = new DeliveryQueue(
      scriptedTransport(pending),
      roomy,
      (t) => t,
      () => now,
    );
    try {
      // Two slots: c0 and c1 send their records, c2 and c3 wait in line.
      for (let c = 0; c < 4; c++) queue.enqueue([plan(c, 2, c)]);
      await settle();
      expect(pending.map((p) => p.path)).to.deep.equal(['/api/conversations/', '/api/conversations/']);
      // The waiting ones expire (the two on the wire are left to their answers)...
      now += 5_000;
      (queue as unknown as { expiry: { sweep(): void } }).expiry.sweep();
      expect(queue.stats().dropped.max_age).to.equal(4);
      // ...and when slots free up, their records are not sent: only c0's and c1's items follow.
      const sent: string[] = [];
      while (pending.length > 0) {
        const request = pending.shift() as Pending;
        sent.push(request.path);
        request.settle('ok');
        await settle();
        expect(queue.stats().queuedBytes).to.equal(queue.recount().bytes);
      }
      expect(sent.filter((path) => path === '/api/conversations/')).to.have.length(2);
      expect(queue.stats().conversationsCreated).to.equal(2);
      expect(queue.stats().delivered).to.equal(4);
      expect(queue.stats().queuedBytes).to.equal(0);
    } finally {
      queue.close();
    }
  });
});
