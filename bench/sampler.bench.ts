/**
 * `npm run bench -- sampler`: what `AgentSightSampler` adds to each sampling decision, against
 * the wrapped sampler alone (a 10% parent-based ratio), for root spans outside and inside a
 * conversation (inside, most decisions are raised to RECORD).
 */
import { createContextKey, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { ParentBasedSampler, type Sampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { AgentSightSampler } from 'agentsight-otel';
import { AGENTSIGHT_CONTEXT_KEY_CONVERSATION } from 'agentsight-otel/semconv';
import { compare, report } from './harness';

const TRACE_IDS = Array.from({ length: 1_024 }, (_, i) =>
  (i * 2_654_435_761).toString(16).padStart(32, '0').slice(-32),
);
const IN_CONVERSATION = ROOT_CONTEXT.setValue(createContextKey(AGENTSIGHT_CONTEXT_KEY_CONVERSATION), {
  'agentsight.conversation.id': 'c-1',
});

function decide(sampler: Sampler, context: typeof ROOT_CONTEXT): () => unknown {
  let i = 0;
  return () => sampler.shouldSample(context, TRACE_IDS[i++ & 1_023] as string, 'span', SpanKind.INTERNAL, {}, []);
}

/** Runs the sampler benchmark and prints it. */
export async function benchSampler(): Promise<void> {
  const wrapped = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) });
  const ours = new AgentSightSampler(wrapped);
  for (const [where, context] of [
    ['outside a conversation', ROOT_CONTEXT],
    ['inside a conversation', IN_CONVERSATION],
  ] as const) {
    const results = await compare(
      [
        { name: 'ParentBased(ratio 0.1) alone', run: decide(wrapped, context) },
        { name: 'AgentSightSampler around it', run: decide(ours, context) },
      ],
      { iterationsPerRound: 50_000 },
    );
    report(`Sampler: one decision, ${where}`, results, 'ParentBased(ratio 0.1) alone');
  }
}
