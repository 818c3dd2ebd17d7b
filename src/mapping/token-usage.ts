import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_AGENTSIGHT_USAGE_EMBEDDING_TOKENS,
  ATTR_AGENTSIGHT_USAGE_TOTAL_TOKENS,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  ATTR_LLM_TOKEN_COUNT_COMPLETION,
  ATTR_LLM_TOKEN_COUNT_PROMPT,
  ATTR_LLM_TOKEN_COUNT_TOTAL,
  ATTR_LLM_USAGE_TOTAL_TOKENS,
} from '../semconv/attributes';
import { GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS } from '../semconv/values';

/** Token counts with the contract's metadata keys (§4.4). */
export interface TokenCounts {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  embedding_tokens: number;
}

// Instrumentations name the same count differently; the first key present wins, so a span that
// carries both the current and an older key is not counted twice.
const PROMPT_KEYS = [ATTR_GEN_AI_USAGE_INPUT_TOKENS, ATTR_GEN_AI_USAGE_PROMPT_TOKENS, ATTR_LLM_TOKEN_COUNT_PROMPT];
const COMPLETION_KEYS = [
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_LLM_TOKEN_COUNT_COMPLETION,
];
const TOTAL_KEYS = [ATTR_AGENTSIGHT_USAGE_TOTAL_TOKENS, ATTR_LLM_USAGE_TOTAL_TOKENS, ATTR_LLM_TOKEN_COUNT_TOTAL];

function count(attributes: Attributes, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = attributes[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
    if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  }
  return undefined;
}

/**
 * The token usage a span reports, or undefined when it reports none. The total is the stated
 * total, else prompt + completion. An embeddings call's input tokens are embedding tokens, as
 * LlamaIndex's counter keeps them apart from prompt tokens.
 */
export function tokenUsageOf(attributes: Attributes): TokenCounts | undefined {
  const input = count(attributes, PROMPT_KEYS);
  const output = count(attributes, COMPLETION_KEYS);
  const total = count(attributes, TOTAL_KEYS);
  const embedding = count(attributes, [ATTR_AGENTSIGHT_USAGE_EMBEDDING_TOKENS]);
  if (input === undefined && output === undefined && total === undefined && embedding === undefined) return undefined;
  if (attributes[ATTR_GEN_AI_OPERATION_NAME] === GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS) {
    return {
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      embedding_tokens: (embedding ?? 0) + (input ?? 0),
    };
  }
  return {
    prompt_tokens: input ?? 0,
    completion_tokens: output ?? 0,
    total_tokens: total ?? (input ?? 0) + (output ?? 0),
    embedding_tokens: embedding ?? 0,
  };
}

/** Adds `more` into `sum`. */
export function addTokenCounts(sum: TokenCounts, more: TokenCounts): void {
  sum.prompt_tokens += more.prompt_tokens;
  sum.completion_tokens += more.completion_tokens;
  sum.total_tokens += more.total_tokens;
  sum.embedding_tokens += more.embedding_tokens;
}
