import { apiErrorText } from '../api/api-errors';
import { type ExporterConfig, resolveExporterConfig } from '../api/config';
import { isRetryableError, isRetryableStatus, retryAfterMillis, retryDelayMillis } from '../api/retry';
import { createHttpTransport, type HttpAnswer, type Transport, TransportError } from '../api/transport';
import { redactor } from '../common/log-text';
import { AGENTSIGHT_OTEL_VERSION } from '../version';
import { AgentSightApiError, type AgentSightClientOptions, type ApiObject } from './client-types';
import { isPlainObject } from './request-checks';

/** Pages of the list can be large; a management answer is never this big. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * The client's calls to the API: one request with its retries (idempotent calls only, plus a
 * refused connection, which never reached the API), its answer read as a JSON object, and every
 * failure an {@link AgentSightApiError} whose text has the key redacted. An unusable configuration
 * makes every call reject with the error that says what to fix.
 */
export class ApiCaller {
  private readonly config: ExporterConfig | undefined;
  private readonly configError: Error | undefined;
  private readonly transport: Transport | undefined;
  private readonly redact: (text: string) => string;

  constructor(options: AgentSightClientOptions) {
    let config: ExporterConfig | undefined;
    try {
      config = resolveExporterConfig({ ...options, deliveryThread: false });
    } catch (error) {
      this.configError = error as Error;
    }
    this.config = config;
    this.redact = redactor(config?.apiKey);
    if (config === undefined) return;
    const headers = {
      ...config.headers,
      authorization: `Api-Key ${config.apiKey}`,
      'user-agent': `agentsight-otel/${AGENTSIGHT_OTEL_VERSION} node/${process.versions.node}`,
    };
    this.transport = createHttpTransport(config.endpoint, headers, 8, MAX_ANSWER_BYTES);
  }

  /** One call with its retries; rejects with an {@link AgentSightApiError}. */
  async call(method: string, path: string, body: object | undefined, idempotent: boolean): Promise<ApiObject> {
    if (this.config === undefined || this.transport === undefined) throw this.configError as Error;
    const { maxRetries, retryDelayMillis: initialDelayMillis, timeoutMillis } = this.config;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const policy = {
      initialDelayMillis,
      maxDelayMillis: Math.max(initialDelayMillis, 5_000),
      multiplier: 1.5,
      jitter: 0.2,
    };
    for (let attempt = 0; ; attempt++) {
      let answer: HttpAnswer;
      try {
        answer = await this.transport.request(method, path, payload, {}, timeoutMillis);
      } catch (error) {
        const code = error instanceof TransportError ? error.code : 'ERROR';
        const status = error instanceof TransportError ? (error.status ?? 0) : 0;
        const failure = new AgentSightApiError(
          status,
          this.redact(`${method} ${path}: ${(error as Error).message}`),
          code,
        );
        // A refused connection never reached the API: safe to try again even if not idempotent.
        const again = isRetryableError(code) && (idempotent || code === 'ECONNREFUSED');
        if (!again || attempt >= maxRetries) throw failure;
        await sleep(retryDelayMillis(attempt + 1, policy, undefined, Math.random()));
        continue;
      }
      if (answer.status >= 200 && answer.status < 300) return this.success(method, path, answer);
      const failure = new AgentSightApiError(
        answer.status,
        this.redact(`${method} ${path.split('?')[0]}: ${answer.status} ${apiErrorText(answer.text)}`),
      );
      const retryAfter = retryAfterMillis(single(answer.headers['retry-after']), Date.now());
      if (!idempotent || !isRetryableStatus(answer.status) || attempt >= maxRetries) throw failure;
      await sleep(retryDelayMillis(attempt + 1, policy, retryAfter, Math.random()));
    }
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.transport?.close() ?? Promise.resolve();
  }

  private success(method: string, path: string, answer: HttpAnswer): ApiObject {
    const parsed = parseObject(answer.text);
    if (parsed !== undefined) return parsed;
    const what = `${answer.status} with a body that is not a JSON object (${answer.text.length} characters); the API promises one`;
    throw new AgentSightApiError(
      answer.status,
      this.redact(`${method} ${path.split('?')[0]}: ${what}`),
      'ANSWER_NOT_JSON',
    );
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The answer as an object: `{}` for an empty body (a 204), the parsed object otherwise, or
 * undefined when the body is not a JSON object (an HTML error page behind a proxy, say): that is
 * an error, never a value.
 */
function parseObject(text: string): ApiObject | undefined {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isPlainObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
