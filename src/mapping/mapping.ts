import type { HrTime } from '@opentelemetry/api';
import { boundedIdentifier } from '../common/identifier';
import { parentSpanIdOf, type FinishedSpan as ReadableSpan } from '../common/sdk-shapes';
import {
  ATTR_AGENTSIGHT_CONVERSATION_ID,
  ATTR_AGENTSIGHT_SPAN_KIND,
  ATTR_GEN_AI_OPERATION_NAME,
} from '../semconv/attributes';
import { AGENTSIGHT_SPAN_KIND_VALUE_INITIALIZE } from '../semconv/values';
import { newGenAiItems, readGenAiItems } from './genai/genai-items';
import { genAiConversationOf, hasGenAiContent, isGenAiSpan } from './genai/genai-keys';
import { MAPPERS, type SpanMapper } from './items';
import type { MappingOptions } from './options';
import type { ActionPayload, ConversationPlan, PlannedItem } from './payloads';
import { conversationRecord } from './record';
import { shortHash, spanName, text } from './span-values';
import { toAgentSightTimestamp, toMicroseconds } from './timestamp';
import { addTokenCounts, type TokenCounts, tokenUsageOf } from './token-usage';

export { type MappingOptions, SPAN_ID_METADATA_KEY, TRACE_ID_METADATA_KEY } from './options';

/** A span the mapping could not turn into an item, and why. */
export interface DroppedSpan {
  readonly conversationId: string;
  readonly spanName: string;
  readonly reason: string;
}

/** The result of mapping one export's spans. */
export interface MappingResult {
  readonly plans: ConversationPlan[];
  readonly dropped: DroppedSpan[];
  /**
   * With GenAI mapping on: traces of LLM calls with their messages that name no conversation
   * (nothing is guessed; the caller counts each trace once as `no_conversation`).
   */
  readonly unnamedGenAiTraces: string[];
  /** New user messages of LLM calls over the per-call cap, not read (counted as `too_many_messages`). */
  readonly overLimitMessages: number;
}

/** An item on its way into a plan, with what orders it. */
interface OrderedItem {
  readonly item: PlannedItem;
  /** Position of its span in the export: spans arrive in the order they ended. */
  readonly endOrder: number;
}

function isValidTime(time: unknown): time is HrTime {
  if (!Array.isArray(time) || time.length !== 2) return false;
  const [seconds, nanos] = time as unknown[];
  return (
    typeof seconds === 'number' &&
    Number.isInteger(seconds) &&
    seconds >= 0 &&
    seconds < 253402300800 && // year 10000
    typeof nanos === 'number' &&
    Number.isInteger(nanos) &&
    nanos >= 0 &&
    nanos < 1e9
  );
}

/** Why a span cannot be read at all, or undefined when it can. */
function unreadable(span: ReadableSpan): string | undefined {
  if (!isValidTime(span.startTime)) return 'its start time is not a valid time';
  if (!isValidTime(span.endTime)) return 'its end time is not a valid time';
  return undefined;
}

/** A conversation's spans within one export, in the order they ended. */
interface ConversationSpans {
  readonly spans: ReadableSpan[];
  readonly endOrders: number[];
  /** Per span: whether it joined through GenAI telemetry (no decorator made it). */
  readonly genAi: boolean[];
}

/** The conversation a span belongs to, and whether through GenAI telemetry. */
type Membership = { readonly id: string; readonly genAi: boolean } | undefined;

function agentSightConversationOf(span: ReadableSpan): string | undefined {
  try {
    const raw = text(span.attributes, ATTR_AGENTSIGHT_CONVERSATION_ID);
    return raw === undefined ? undefined : boundedIdentifier(raw);
  } catch {
    return undefined; // No attributes to read: not a span of any conversation.
  }
}

/**
 * Which conversation each span belongs to: its AgentSight conversation (a decorated turn), else,
 * with GenAI mapping on, the conversation a GenAI span names, itself or through its nearest
 * ancestor in this export (instrumentations leave the id on a parent span the app or the agent
 * framework made).
 */
function membershipsOf(spans: readonly ReadableSpan[], options: MappingOptions): Membership[] {
  const own = spans.map((span): Membership => {
    const id = agentSightConversationOf(span);
    if (id !== undefined) return { id, genAi: false };
    if (options.genAi !== true) return undefined;
    try {
      const genAiId = genAiConversationOf(span.attributes, options.genAiConversationKeys);
      return genAiId === undefined ? undefined : { id: genAiId, genAi: true };
    } catch {
      return undefined;
    }
  });
  if (options.genAi !== true) return own;
  const bySpanId = new Map<string, number>();
  spans.forEach((span, index) => {
    try {
      bySpanId.set(span.spanContext().spanId, index);
    } catch {
      // Unreadable: it is reported when mapped.
    }
  });
  return spans.map((span, index) => {
    const found = own[index];
    if (found !== undefined && !found.genAi) return found;
    try {
      if (!isGenAiSpan(span.attributes)) return found;
      let parent = parentSpanIdOf(span);
      for (let depth = 0; parent !== undefined && depth < 64; depth++) {
        const at = bySpanId.get(parent);
        if (at === undefined) break;
        const ancestor = own[at];
        // Inside a decorated turn the decorators speak for it: its tokens count there, no message twice.
        if (ancestor !== undefined && !ancestor.genAi) return ancestor;
        if (found === undefined && ancestor !== undefined) return ancestor;
        parent = parentSpanIdOf(spans[at] as ReadableSpan);
      }
    } catch {
      // Unreadable: it is reported when mapped, if it belongs anywhere.
    }
    return found;
  });
}

/**
 * For each span, the GenAI conversation it belongs to (itself or through an ancestor in these
 * spans), or undefined: decorated turns, their GenAI descendants and spans of no conversation.
 */
export function genAiConversationsOf(
  spans: readonly ReadableSpan[],
  options: Pick<MappingOptions, 'genAiConversationKeys'>,
): (string | undefined)[] {
  const memberships = membershipsOf(spans, { environment: '', maxFieldLength: 0, ...options, genAi: true });
  return memberships.map((membership) => (membership?.genAi === true ? membership.id : undefined));
}

/** Attributes whose JSON lists are costly to read when long (the history every call repeats). */
const LIST_KEYS = ['gen_ai.input.messages', 'gen_ai.output.messages', 'ai.prompt.messages'];

/**
 * The GenAI spans whose message lists are longer than `minChars` in all, with their conversation:
 * what the exporter reads ahead of the mapping, in slices (`readGenAiItems`).
 */
export function longGenAiSpans(
  spans: readonly ReadableSpan[],
  options: MappingOptions,
  minChars = 64 * 1024,
): [ReadableSpan, string][] {
  const long = (span: ReadableSpan): boolean => {
    let chars = 0;
    for (const key of LIST_KEYS) {
      const value = span.attributes[key];
      if (typeof value === 'string') chars += value.length;
    }
    return chars > minChars;
  };
  let candidates: number[];
  try {
    candidates = spans.flatMap((span, index) => (long(span) ? [index] : []));
  } catch {
    return []; // unreadable spans are the mapping's to report
  }
  if (candidates.length === 0) return [];
  const conversations = genAiConversationsOf(spans, options);
  return candidates.flatMap((index) => {
    const conversationId = conversations[index];
    return conversationId === undefined ? [] : [[spans[index] as ReadableSpan, conversationId]];
  });
}

function groupByConversation(
  spans: readonly ReadableSpan[],
  memberships: readonly Membership[],
): Map<string, ConversationSpans> {
  const groups = new Map<string, ConversationSpans>();
  memberships.forEach((membership, endOrder) => {
    if (membership === undefined) return;
    let group = groups.get(membership.id);
    if (group === undefined) {
      group = { spans: [], endOrders: [], genAi: [] };
      groups.set(membership.id, group);
    }
    group.spans.push(spans[endOrder] as ReadableSpan);
    group.endOrders.push(endOrder);
    group.genAi.push(membership.genAi);
  });
  return groups;
}

/** The token usage of one turn (the spans of one trace) in one export. */
interface TurnUsage {
  readonly usage: TokenCounts;
  readonly spanIds: string[];
  last: { span: ReadableSpan; endOrder: number };
}

function addTurnUsage(turns: Map<string, TurnUsage>, span: ReadableSpan, endOrder: number, tokens: TokenCounts): void {
  const traceId = span.spanContext().traceId;
  let turn = turns.get(traceId);
  if (turn === undefined) {
    turn = {
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, embedding_tokens: 0 },
      spanIds: [],
      last: { span, endOrder },
    };
    turns.set(traceId, turn);
  }
  addTokenCounts(turn.usage, tokens);
  turn.spanIds.push(span.spanContext().spanId);
  turn.last = { span, endOrder };
}

/**
 * Whether a span's token usage is its own: an agent span (`invoke_agent`) states the sum of its
 * calls' usage, which the calls state again (the Vercel AI SDK does both: counting both doubled
 * the turn's tokens, 400 prompt tokens for 200). Its calls may end in another export than it, so
 * the agent's totals are never counted, rather than counted when no call is seen.
 */
function ownsItsUsage(span: ReadableSpan): boolean {
  return span.attributes[ATTR_GEN_AI_OPERATION_NAME] !== 'invoke_agent';
}

function tokenUsageItem(conversationId: string, turn: TurnUsage): OrderedItem {
  const body: ActionPayload = {
    timestamp: toAgentSightTimestamp(turn.last.span.endTime),
    action_name: 'token_usage',
    conversation_id: conversationId,
    metadata: { ...turn.usage },
  };
  const item: PlannedItem = {
    kind: 'token_usage',
    body,
    idempotencyKey: `token_usage-${shortHash(turn.spanIds.sort().join(','))}`,
    label: 'token usage',
    atMicros: toMicroseconds(turn.last.span.endTime),
  };
  return { item, endOrder: turn.last.endOrder };
}

/**
 * Turns one export's finished spans into per-conversation delivery plans: the conversation record,
 * then every item in the order it happened. An item happens when its span ends, and spans reach
 * the exporter in the order they ended, so that order is the chronological one. (Span times are
 * anchored to `Date.now()` when each span starts, so two spans' timestamps can disagree with their
 * real order by up to a millisecond; delivery makes the timestamps follow this order.) Token usage
 * of a turn (the spans of one trace) is summed into one `token_usage` action, placed and timed at
 * the end of the turn's last span that reported usage: two turns in one export stay two lines, as
 * they were two turns. Spans of no conversation are ignored. Pure: no I/O.
 */
export function toConversationPlans(spans: readonly ReadableSpan[], options: MappingOptions): MappingResult {
  const plans: ConversationPlan[] = [];
  const dropped: DroppedSpan[] = [];
  let overLimitMessages = 0;
  const memberships = membershipsOf(spans, options);
  for (const [conversationId, group] of groupByConversation(spans, memberships)) {
    const ordered: OrderedItem[] = [];
    const usageByTurn = new Map<string, TurnUsage>();
    let earliestStart: HrTime | undefined;

    const readable: ReadableSpan[] = [];
    group.spans.forEach((span, index) => {
      const endOrder = group.endOrders[index] as number;
      // Each span alone: one that cannot be read is dropped and reported, never its batch.
      try {
        const problem = unreadable(span);
        if (problem !== undefined) {
          dropped.push({ conversationId, spanName: spanName(span), reason: problem });
          return;
        }
        let mapped: ReturnType<SpanMapper> | string | undefined;
        if (group.genAi[index]) {
          const read = options.genAiReadAhead?.get(span) ?? readGenAiItems(span, conversationId, options);
          if (typeof read !== 'string') overLimitMessages += read.overLimit;
          mapped = typeof read === 'string' ? read : newGenAiItems(read, conversationId, options.genAiHistory);
        } else mapped = MAPPERS.get(span.attributes[ATTR_AGENTSIGHT_SPAN_KIND])?.(span, conversationId, options);
        if (typeof mapped === 'string') {
          dropped.push({ conversationId, spanName: spanName(span), reason: mapped });
          return;
        }
        const tokens = ownsItsUsage(span) ? tokenUsageOf(span.attributes) : undefined;
        if (tokens !== undefined) addTurnUsage(usageByTurn, span, endOrder, tokens);
        if (Array.isArray(mapped)) for (const item of mapped) ordered.push({ item, endOrder });
        else if (mapped !== undefined) ordered.push({ item: mapped as PlannedItem, endOrder });
        readable.push(span);
        if (earliestStart === undefined || toMicroseconds(span.startTime) < toMicroseconds(earliestStart)) {
          earliestStart = span.startTime;
        }
      } catch (error) {
        dropped.push({ conversationId, spanName: spanName(span), reason: `it could not be read (${String(error)})` });
      }
    });
    if (earliestStart === undefined) continue;
    // GenAI telemetry alone that gave nothing new (a call whose history was all sent): no record alone.
    if (ordered.length === 0 && usageByTurn.size === 0 && group.genAi.every(Boolean)) continue;

    for (const turn of usageByTurn.values()) ordered.push(tokenUsageItem(conversationId, turn));

    // Stable: an item and the usage of the same span keep the item first.
    ordered.sort((x, y) => x.endOrder - y.endOrder);
    // Spans of initializeConversation alone: the record says is_used false and goes on its own.
    const initializeOnly = readable.every(
      (span) => span.attributes[ATTR_AGENTSIGHT_SPAN_KIND] === AGENTSIGHT_SPAN_KIND_VALUE_INITIALIZE,
    );
    plans.push({
      conversationId,
      ...(initializeOnly ? { initializeOnly } : {}),
      record: conversationRecord(conversationId, readable, earliestStart, options, !initializeOnly),
      // An initialising record is another request than the turn's (is_used differs): its own key.
      recordIdempotencyKey: `${initializeOnly ? 'initialize' : 'conversation'}-${shortHash(conversationId)}`,
      items: ordered.map((o) => o.item),
    });
  }
  const unnamedGenAiTraces = options.genAi === true ? unnamedTraces(spans, memberships) : [];
  return { plans, dropped, unnamedGenAiTraces, overLimitMessages };
}

/** Traces of GenAI spans with messages that joined no conversation. */
function unnamedTraces(spans: readonly ReadableSpan[], memberships: readonly Membership[]): string[] {
  const traces = new Set<string>();
  spans.forEach((span, index) => {
    if (memberships[index] !== undefined) return;
    try {
      if (hasGenAiContent(span.attributes)) traces.add(span.spanContext().traceId);
    } catch {
      // Unreadable: not counted here.
    }
  });
  return [...traces];
}
