import { diag } from '@opentelemetry/api';
import { loggable } from '../common/log-text';
import type { FinishedSpan } from '../common/sdk-shapes';
import { hasGenAiContent, isGenAiSpan } from '../mapping/genai/genai-keys';

/** Most spans one process describes; then one line says the rest are not. */
const MAX_DESCRIBED_SPANS = 1_000;

/**
 * `AGENTSIGHT_DEBUG=1` (or true, yes): the processor says, span by span, whether AgentSight took
 * it and why not (issue 27: "nothing arrives, and nothing says so"). Through OpenTelemetry's
 * `diag` at INFO when the application has a logger, else on stderr; at most 1,000 spans a process.
 * Values are cut and cleaned for the log (names and ids only, never content).
 */
export class SpanDebug {
  private described = 0;

  private constructor(private readonly write: (line: string) => void) {}

  /** The switch, read once when a processor is made; undefined when off. */
  static fromEnvironment(): SpanDebug | undefined {
    if (!/^(1|true|yes)$/i.test(process.env.AGENTSIGHT_DEBUG?.trim() ?? '')) return undefined;
    return new SpanDebug((line) => {
      diag.info(line);
      process.stderr.write(`${line}\n`);
    });
  }

  /** Says what happened to one ended span: `conversation` is what it was taken for, if it was. */
  span(span: FinishedSpan, conversation: { id: unknown; zeroCode: boolean } | undefined, zeroCodeOn: boolean): void {
    if (this.described > MAX_DESCRIBED_SPANS) return;
    this.described += 1;
    if (this.described > MAX_DESCRIBED_SPANS) {
      this.write(`agentsight debug: ${MAX_DESCRIBED_SPANS} spans described; later ones are not`);
      return;
    }
    const name = `span "${loggable(String(span.name), 80)}" (trace ${span.spanContext().traceId})`;
    this.write(`agentsight debug: ${name}: ${verdict(span, conversation, zeroCodeOn)}`);
  }
}

function verdict(
  span: FinishedSpan,
  conversation: { id: unknown; zeroCode: boolean } | undefined,
  zeroCodeOn: boolean,
): string {
  if (conversation !== undefined) {
    const how = conversation.zeroCode ? 'GenAI telemetry (zero code)' : 'a tracked turn';
    return `taken, ${how} of conversation "${loggable(String(conversation.id), 80)}"`;
  }
  if ((span.spanContext().traceFlags & 1) === 0) {
    return 'not taken: not sampled (wrap your sampler: new AgentSightSampler(yourSampler))';
  }
  if (!isGenAiSpan(span.attributes)) return 'not taken: no conversation id and no GenAI attributes (not AgentSight’s)';
  if (!zeroCodeOn) return 'not taken: GenAI telemetry, but zero code is off (genAi: false or AGENTSIGHT_GENAI=false)';
  return hasGenAiContent(span.attributes)
    ? 'not taken: an LLM call in a trace that names no conversation (counted as no_conversation): set gen_ai.conversation.id on it or a parent span, or name your attribute in genAiConversationAttributes'
    : 'not taken: GenAI telemetry of no named conversation, and no messages (content capture off?)';
}
