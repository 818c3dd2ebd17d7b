import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { loggable, sentence } from '../common/log-text';

/** Options of {@link AgentSightSpanExporter}. Every one has a default; see the README's table. */
export interface AgentSightExporterOptions {
  /** API key (`ags_<32 hex>_<6 hex>`). Default: `AGENTSIGHT_API_KEY`. */
  apiKey?: string;
  /** API base URL. Default: `AGENTSIGHT_API_ENDPOINT`, else `https://api.agentsight.io`. */
  endpoint?: string;
  /**
   * Environment of conversations that do not choose one (`production` | `development`).
   * Default: `AGENTSIGHT_ENVIRONMENT`, else `development`.
   */
  environment?: string;
  /** Timeout of one HTTP request, in ms. Default 10000. */
  timeoutMillis?: number;
  /**
   * Transient failures of one item before it is dropped, counted only while the API otherwise
   * answers (during an outage items wait, bounded by `maxItemAgeMillis`). Default 10.
   */
  maxRetries?: number;
  /** Wait before the first retry, in ms (then ×1.5 per retry, up to 5000, ±20%). Default 1000. */
  retryDelayMillis?: number;
  /**
   * Most requests on the wire at once, across conversations (each conversation sends one at a
   * time, in order). Delivery starts at 16 and adapts: it grows while answers are healthy and
   * halves on 429, 503 and timeouts. Default 256.
   */
  concurrency?: number;
  /**
   * Budget of the delivery queue, in bytes (an item's texts plus about 384 bytes of objects: what it holds on the heap). When
   * it is full, new items are dropped, counted as `queue_full`. Default 67108864 (64 MiB).
   */
  maxQueueBytes?: number;
  /** Items waiting longer than this (an API outage) are dropped, counted as `max_age`. Default 300000 (5 min). */
  maxItemAgeMillis?: number;
  /** How long `forceFlush()` waits for the queue to empty, in ms. Default 30000; 5000 on a function platform. */
  flushTimeoutMillis?: number;
  /**
   * How long `shutdown()` keeps delivering before it drops what is left, in ms. An API that
   * refuses connections fails at once instead. Default 10000.
   */
  shutdownTimeoutMillis?: number;
  /**
   * Throw {@link AgentSightConfigError} on unusable configuration. Default false: the exporter
   * warns once on stderr, saying what to fix, and stays inert; the application runs as usual.
   */
  strict?: boolean;
  /** Extra HTTP headers for every request (they cannot replace the auth or content headers). */
  headers?: Record<string, string>;
  /** Longest string sent in any one field, in characters. Default 32768. */
  maxFieldLength?: number;
  /** Backend ids remembered, so later turns do not create their conversation again. Default 10000. */
  maxCachedConversations?: number;
  /**
   * Deliver from a worker thread, so the HTTP requests (one per AgentSight item) stay off the
   * application's event loop. Default true, except on a function platform (Vercel, AWS Lambda:
   * where `VERCEL`, `AWS_LAMBDA_FUNCTION_NAME` or `LAMBDA_TASK_ROOT` is set), where a thread's start would add ~120 ms to the first flush
   * of every cold start; false delivers on the main thread. If the worker cannot start, delivery
   * falls back to the main thread with a warning.
   */
  deliveryThread?: boolean;
  /**
   * Put each item's trace and span ids in its metadata (`otel.trace_id`, `otel.span_id`), so a
   * conversation in AgentSight leads to its trace in Jaeger or any tracing backend. Default
   * `AGENTSIGHT_TRACE_LINKS` (`false` turns it off), else true.
   */
  traceLinks?: boolean;
  /**
   * Zero code: turn the GenAI telemetry of instrumented LLM calls and agents (OpenAI, Vercel AI
   * SDK, OpenInference, OpenLLMetry: `gen_ai.*` and their own attributes) into conversations, for
   * spans no decorator made, when they name a conversation (`gen_ai.conversation.id`, `session.id`,
   * …) themselves or through an ancestor. Default `AGENTSIGHT_GENAI` (`false` turns it off), else
   * true. Decorated turns are never mapped twice.
   */
  genAi?: boolean;
  /**
   * Attributes that name the conversation in your telemetry, read before the known ones. Default
   * `AGENTSIGHT_GENAI_CONVERSATION_ATTRIBUTES` (comma-separated), else none.
   */
  genAiConversationAttributes?: readonly string[];
}

/** Validated configuration. */
export interface ExporterConfig {
  readonly apiKey: string;
  readonly endpoint: URL;
  readonly environment: 'production' | 'development';
  readonly timeoutMillis: number;
  readonly maxRetries: number;
  readonly retryDelayMillis: number;
  readonly concurrency: number;
  readonly maxQueueBytes: number;
  readonly maxItemAgeMillis: number;
  readonly flushTimeoutMillis: number;
  readonly shutdownTimeoutMillis: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly maxFieldLength: number;
  readonly maxCachedConversations: number;
  readonly deliveryThread: boolean;
  readonly traceLinks: boolean;
  readonly genAi: boolean;
  readonly genAiConversationAttributes: readonly string[];
}

/** Messages already printed: a configuration problem is said once per process, not per exporter. */
const reported = new Set<string>();

/**
 * Says once, on stderr and through diag, what is wrong with the configuration, how to turn
 * tracking off on purpose, and how to fail at start-up instead.
 */
export function reportConfigurationProblem(problem: string): void {
  if (reported.has(problem)) return;
  reported.add(problem);
  const message =
    `agentsight-otel: ${sentence(problem)} (To turn tracking off on purpose without this message, set ` +
    'AGENTSIGHT_DISABLED=true; to fail at start-up instead, pass { strict: true }.)';
  process.stderr.write(`${message}\n`);
  diag.warn(message);
}

/** Configuration that cannot work; the message says what to fix and never contains the key. */
export class AgentSightConfigError extends Error {
  /** Always `AgentSightConfigError`. */
  override readonly name = 'AgentSightConfigError';
}

const DEFAULT_ENDPOINT = 'https://api.agentsight.io';
const API_KEY_PATTERN = /^ags_[a-f0-9]{32}_[a-f0-9]{6}$/i;
const RESERVED_HEADERS = new Set(['authorization', 'content-type', 'content-length', 'idempotency-key', 'host']);

function describeBadKey(key: string): string {
  if (key !== key.trim()) return 'it has spaces around it';
  if (!key.toLowerCase().startsWith('ags_')) return `it does not start with "ags_" (${key.length} characters)`;
  return `it has ${key.length} characters, or characters other than hex digits`;
}

function resolveApiKey(option: string | undefined): string {
  const key = option ?? process.env.AGENTSIGHT_API_KEY;
  if (key === undefined || key.trim() === '') {
    throw new AgentSightConfigError(
      'AGENTSIGHT_API_KEY is not set: pass { apiKey } or set the variable ' +
        '(get a key at https://app.agentsight.io/settings)',
    );
  }
  if (!API_KEY_PATTERN.test(key)) {
    throw new AgentSightConfigError(
      `The AgentSight API key is malformed: ${describeBadKey(key)}. A key is "ags_", 32 hex characters, "_", ` +
        '6 hex characters (43 in all); copy it again from https://app.agentsight.io/settings',
    );
  }
  return key;
}

/**
 * A URL as an error message may show it: without userinfo, query or fragment (they can hold
 * credentials), bounded and escaped. Text that is no URL at all is not shown, only its length:
 * there is no telling which part of it is a secret.
 */
function shownUrl(raw: string): string {
  try {
    const url = new URL(raw.trim());
    return loggable(`${url.protocol}//${url.host}${url.pathname}`, 120);
  } catch {
    return `(${raw.length} characters, not shown)`;
  }
}

function resolveEndpoint(option: string | undefined): URL {
  const raw = option ?? process.env.AGENTSIGHT_API_ENDPOINT ?? DEFAULT_ENDPOINT;
  const from = option !== undefined ? 'The endpoint option' : 'AGENTSIGHT_API_ENDPOINT';
  // A bare host:port (the scheme forgotten) holds no secret, and seeing it is the fix.
  const hostAndPort = /^[A-Za-z0-9.-]+:\d{1,5}\/?$/.exec(raw.trim())?.[0];
  if (hostAndPort !== undefined) {
    throw new AgentSightConfigError(
      `${from} is "${hostAndPort}", which has no scheme: use http://${hostAndPort} (or https://)`,
    );
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AgentSightConfigError(`${from} is not a URL: "${shownUrl(raw)}". Use e.g. https://api.agentsight.io`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AgentSightConfigError(
      `${from} must be an http(s) URL, not ${loggable(url.protocol, 20)} ("${shownUrl(raw)}")`,
    );
  }
  if (url.username || url.password) {
    throw new AgentSightConfigError(`${from} must not carry credentials; the API key goes in { apiKey }`);
  }
  if (url.search || url.hash) {
    throw new AgentSightConfigError(`${from} must be a base URL without ?query or #fragment ("${shownUrl(raw)}")`);
  }
  // Every API path starts with /api/: a base that ends with it would send to /api/api/... (404).
  url.pathname = url.pathname.replace(/\/api\/?$/, '/');
  return url;
}

function resolveEnvironment(option: string | undefined): 'production' | 'development' {
  const value = option ?? process.env.AGENTSIGHT_ENVIRONMENT ?? 'development';
  if (value === 'production' || value === 'development') return value;
  const from = option !== undefined ? 'The environment option' : 'AGENTSIGHT_ENVIRONMENT';
  throw new AgentSightConfigError(`${from} must be "production" or "development" (got "${value}")`);
}

function wholeNumber(name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new AgentSightConfigError(`${name} must be a whole number of at least ${min} (got ${loggable(value, 40)})`);
  }
  return value;
}

function resolveHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new AgentSightConfigError(
        `headers: "${loggable(name, 60)}" is set by the exporter itself and cannot be overridden`,
      );
    }
    if (typeof value !== 'string') throw new AgentSightConfigError(`headers: "${loggable(name, 60)}" must be a string`);
    result[name] = value;
  }
  return result;
}

/**
 * Whether the process runs as a function its platform freezes between requests and reclaims at
 * will: Vercel (`VERCEL`) or AWS Lambda (`AWS_LAMBDA_FUNCTION_NAME`, `LAMBDA_TASK_ROOT`), as their
 * runtimes set them. There the defaults fit a function: delivery on the main thread (no thread
 * to start at a cold start), flushes within 5 s.
 */
export function onFunctionPlatform(): boolean {
  const env = process.env;
  return Boolean(env.VERCEL || env.AWS_LAMBDA_FUNCTION_NAME || env.LAMBDA_TASK_ROOT);
}

/**
 * Reads options and environment once, at construction, and fails there with a message that says
 * what to fix: a bad key or URL found at the first export would lose that export.
 */
export function resolveExporterConfig(options: AgentSightExporterOptions = {}): ExporterConfig {
  return {
    apiKey: resolveApiKey(options.apiKey),
    endpoint: resolveEndpoint(options.endpoint),
    environment: resolveEnvironment(options.environment),
    timeoutMillis: wholeNumber('timeoutMillis', options.timeoutMillis, 10_000, 1),
    maxRetries: wholeNumber('maxRetries', options.maxRetries, 10, 0),
    retryDelayMillis: wholeNumber('retryDelayMillis', options.retryDelayMillis, 1_000, 0),
    concurrency: wholeNumber('concurrency', options.concurrency, 256, 1),
    maxQueueBytes: wholeNumber('maxQueueBytes', options.maxQueueBytes, 64 * 1024 * 1024, 1_024),
    maxItemAgeMillis: wholeNumber('maxItemAgeMillis', options.maxItemAgeMillis, 300_000, 1),
    flushTimeoutMillis: wholeNumber(
      'flushTimeoutMillis',
      options.flushTimeoutMillis,
      onFunctionPlatform() ? 5_000 : 30_000,
      1,
    ),
    shutdownTimeoutMillis: wholeNumber('shutdownTimeoutMillis', options.shutdownTimeoutMillis, 10_000, 1),
    headers: resolveHeaders(options.headers),
    maxFieldLength: wholeNumber('maxFieldLength', options.maxFieldLength, 32_768, 256),
    maxCachedConversations: wholeNumber('maxCachedConversations', options.maxCachedConversations, 10_000, 1),
    deliveryThread: options.deliveryThread ?? !onFunctionPlatform(),
    traceLinks: options.traceLinks ?? !/^(0|false|no|off)$/i.test(process.env.AGENTSIGHT_TRACE_LINKS?.trim() ?? ''),
    genAi: options.genAi ?? !/^(0|false|no|off)$/i.test(process.env.AGENTSIGHT_GENAI?.trim() ?? ''),
    genAiConversationAttributes: resolveAttributeNames(
      options.genAiConversationAttributes ?? process.env.AGENTSIGHT_GENAI_CONVERSATION_ATTRIBUTES?.split(','),
    ),
  };
}

/** Attribute names as given: trimmed, blank ones left out, at most 20 of 256 characters. */
function resolveAttributeNames(names: readonly unknown[] | undefined): readonly string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names))
    throw new AgentSightConfigError('genAiConversationAttributes must be a list of attribute names');
  const kept = names.map((n) => (typeof n === 'string' ? n.trim() : '')).filter((n) => n !== '');
  if (kept.length > 20 || kept.some((n) => n.length > 256)) {
    throw new AgentSightConfigError('genAiConversationAttributes takes at most 20 names of at most 256 characters');
  }
  return kept;
}

const LOG_LEVELS: Readonly<Record<string, DiagLogLevel>> = {
  DEBUG: DiagLogLevel.DEBUG,
  INFO: DiagLogLevel.INFO,
  WARNING: DiagLogLevel.WARN,
  WARN: DiagLogLevel.WARN,
  ERROR: DiagLogLevel.ERROR,
  CRITICAL: DiagLogLevel.ERROR,
};

/**
 * Honours `AGENTSIGHT_LOG_LEVEL` (the Python SDK's variable) by installing OTel's console diag
 * logger at that level, but only when the application has not set a diag logger of its own.
 */
export function applyLogLevelFromEnvironment(): void {
  const name = process.env.AGENTSIGHT_LOG_LEVEL?.trim().toUpperCase();
  if (!name) return;
  // The API keeps its registered globals under this well-known symbol; a diag entry means the
  // application (or an SDK) already chose a logger.
  const globals = (globalThis as Record<symbol, { diag?: unknown } | undefined>)[Symbol.for('opentelemetry.js.api.1')];
  if (globals?.diag !== undefined) return;
  diag.setLogger(new DiagConsoleLogger(), { logLevel: LOG_LEVELS[name] ?? DiagLogLevel.INFO });
}
