import { AgentSightConfigError, AgentSightSpanExporter, AgentSightSpanProcessor } from 'agentsight-otel';
import { expect } from 'chai';
import { apiErrorText } from '#internal/api/api-errors';
import { resolveExporterConfig } from '#internal/api/config';
import { isRetryableError, isRetryableStatus, retryAfterMillis, retryDelayMillis } from '#internal/api/retry';
import { TEST_API_KEY } from '../helpers/receiver';
import { type CapturedStderr, captureStderr } from '../helpers/stderr';

const ENV_KEYS = ['AGENTSIGHT_API_KEY', 'AGENTSIGHT_API_ENDPOINT', 'AGENTSIGHT_ENVIRONMENT'] as const;

describe('exporter configuration', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const key of ENV_KEYS) {
      saved[key] = process.env[key];
      delete process.env[key];
    }
  });
  afterEach(() => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  /** The error construction throws, checked to be a config error that never contains `secret`. */
  function constructionError(options: ConstructorParameters<typeof AgentSightSpanExporter>[0], secret?: string): Error {
    try {
      new AgentSightSpanExporter({ ...options, strict: true }).shutdown();
    } catch (error) {
      expect(error).to.be.instanceOf(AgentSightConfigError);
      if (secret) expect((error as Error).message).not.to.contain(secret);
      return error as Error;
    }
    throw new Error('construction did not fail');
  }

  it('reads key, endpoint and environment from the environment, with the documented defaults', () => {
    process.env.AGENTSIGHT_API_KEY = TEST_API_KEY;
    const defaults = resolveExporterConfig();
    expect(defaults.apiKey).to.equal(TEST_API_KEY);
    expect(defaults.endpoint.href).to.equal('https://api.agentsight.io/');
    expect(defaults.environment).to.equal('development');
    expect(defaults).to.include({
      timeoutMillis: 10_000,
      maxRetries: 10,
      concurrency: 256,
      maxQueueBytes: 64 * 1024 * 1024,
      maxItemAgeMillis: 300_000,
      flushTimeoutMillis: 30_000,
      shutdownTimeoutMillis: 10_000,
    });
    process.env.AGENTSIGHT_API_ENDPOINT = 'http://127.0.0.1:8787/base/';
    process.env.AGENTSIGHT_ENVIRONMENT = 'production';
    const fromEnv = resolveExporterConfig();
    expect(fromEnv.endpoint.pathname).to.equal('/base/');
    expect(fromEnv.environment).to.equal('production');
    const explicit = resolveExporterConfig({ environment: 'development', endpoint: 'https://eu.example.com' });
    expect(explicit.environment, 'an explicit option beats the environment').to.equal('development');
    expect(explicit.endpoint.host).to.equal('eu.example.com');
  });

  it('fails at construction without a key, saying how to give one', () => {
    expect(constructionError({}).message).to.match(/AGENTSIGHT_API_KEY is not set: pass \{ apiKey \}/);
    expect(constructionError({ apiKey: '   ' }).message).to.match(/is not set/);
  });

  for (const [label, key] of [
    ['an OpenAI key', 'sk-proj-abcdefabcdefabcdef0123456789'],
    ['a key with one hex digit too few', 'ags_1a2b3c4d5e6f7890abcdef123456789_a1b2c3'],
    ['a key with spaces around it', ` ${TEST_API_KEY} `],
  ] as const) {
    it(`rejects ${label} without ever echoing it`, () => {
      const error = constructionError({ apiKey: key }, key.trim());
      expect(error.message).to.match(/API key is malformed: .*"ags_", 32 hex characters, "_", 6 hex characters/);
    });
  }

  it('rejects an unusable endpoint, environment, number or header with what to fix', () => {
    const apiKey = TEST_API_KEY;
    expect(constructionError({ apiKey, endpoint: 'api.agentsight.io' }).message).to.match(/not a URL/);
    expect(constructionError({ apiKey, endpoint: 'ftp://x.y' }).message).to.match(/must be an http\(s\) URL/);
    expect(constructionError({ apiKey, endpoint: 'https://u:p@x.y' }, 'u:p').message).to.match(
      /must not carry credentials/,
    );
    expect(constructionError({ apiKey, endpoint: 'https://x.y/?a=1' }).message).to.match(/without \?query/);
    expect(constructionError({ apiKey, environment: 'staging' }).message).to.match(
      /"production" or "development" \(got "staging"\)/,
    );
    process.env.AGENTSIGHT_ENVIRONMENT = 'weird';
    expect(constructionError({ apiKey }).message).to.match(/^AGENTSIGHT_ENVIRONMENT must be/);
    delete process.env.AGENTSIGHT_ENVIRONMENT;
    expect(constructionError({ apiKey, concurrency: 0 }).message).to.match(
      /concurrency must be a whole number of at least 1/,
    );
    expect(constructionError({ apiKey, timeoutMillis: 1.5 }).message).to.match(/timeoutMillis/);
    expect(constructionError({ apiKey, headers: { Authorization: 'x' } }).message).to.match(/cannot be overridden/);
    expect(() => new AgentSightSpanProcessor({ apiKey: 'nope', strict: true })).to.throw(AgentSightConfigError);
  });

  it('fits a function where the platform says it is one (Vercel, Lambda): main-thread delivery, 5 s flushes', () => {
    const saved = { ...process.env };
    try {
      for (const variable of ['VERCEL', 'AWS_LAMBDA_FUNCTION_NAME', 'LAMBDA_TASK_ROOT']) {
        delete process.env.VERCEL;
        delete process.env.AWS_LAMBDA_FUNCTION_NAME;
        delete process.env.LAMBDA_TASK_ROOT;
        process.env[variable] = variable === 'VERCEL' ? '1' : 'my-function';
        const config = resolveExporterConfig({ apiKey: TEST_API_KEY });
        expect(config.deliveryThread, variable).to.equal(false);
        expect(config.flushTimeoutMillis, variable).to.equal(5_000);
        expect(resolveExporterConfig({ apiKey: TEST_API_KEY, deliveryThread: true }).deliveryThread).to.equal(true);
      }
    } finally {
      for (const variable of ['VERCEL', 'AWS_LAMBDA_FUNCTION_NAME', 'LAMBDA_TASK_ROOT']) {
        if (saved[variable] === undefined) delete process.env[variable];
        else process.env[variable] = saved[variable];
      }
    }
    expect(resolveExporterConfig({ apiKey: TEST_API_KEY })).to.deep.include({
      deliveryThread: true,
      flushTimeoutMillis: 30_000,
    });
  });
});

describe('retry policy', () => {
  it('retries 408, 429 and 5xx, and network failures, but not other answers', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).to.equal(true);
    expect([400, 401, 403, 404, 409, 413, 422].some(isRetryableStatus)).to.equal(false);
    expect(['ECONNRESET', 'ECONNREFUSED', 'REQUEST_TIMEOUT', 'EAI_AGAIN'].every(isRetryableError)).to.equal(true);
    expect(isRetryableError('ERR_INVALID_ARG_TYPE')).to.equal(false);
    expect(isRetryableError(undefined)).to.equal(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-02-08T13:36:00Z');
    expect(retryAfterMillis('2', now)).to.equal(2000);
    expect(retryAfterMillis('0.5', now)).to.equal(500);
    expect(retryAfterMillis('Sun, 08 Feb 2026 13:36:03 GMT', now)).to.equal(3000);
    expect(retryAfterMillis('soon', now)).to.equal(undefined);
    expect(retryAfterMillis(undefined, now)).to.equal(undefined);
  });

  it('backs off exponentially with bounded jitter, and follows Retry-After when given', () => {
    const policy = { initialDelayMillis: 1000, maxDelayMillis: 5000, multiplier: 1.5, jitter: 0.2 };
    expect([1, 2, 3, 4, 5, 6].map((r) => retryDelayMillis(r, policy, undefined, 0.5))).to.deep.equal([
      1000, 1500, 2250, 3375, 5000, 5000,
    ]);
    expect(retryDelayMillis(1, policy, undefined, 0)).to.equal(800);
    expect(retryDelayMillis(1, policy, undefined, 0.9999)).to.be.closeTo(1200, 1);
    expect(retryDelayMillis(3, policy, 7000, 0.5)).to.equal(7000);
  });
});

describe('API error texts (agentsight-api.md §6.3)', () => {
  it('reads detail, DRF field errors, nested errors, other JSON and raw text', () => {
    expect(apiErrorText('{"detail":"Invalid API key."}')).to.equal('Invalid API key.');
    expect(apiErrorText('{"label":["This field is required."],"value":["bad"]}')).to.equal(
      'label: This field is required.; value: bad',
    );
    expect(apiErrorText('{"attachments":[{"data":["bad"]}]}')).to.equal('attachments: {"data":["bad"]}');
    expect(apiErrorText('["e1","e2"]')).to.equal('["e1","e2"]');
    expect(apiErrorText('<html>Bad Gateway</html>')).to.equal('<html>Bad Gateway</html>');
    expect(apiErrorText('')).to.equal('Unknown error');
    expect(apiErrorText('{}')).to.equal('Unknown error');
  });
});

describe('friendly failure modes', () => {
  let captured: CapturedStderr;
  let stderr: string[];
  beforeEach(() => {
    captured = captureStderr();
    stderr = captured.lines;
  });
  afterEach(() => {
    captured.restore();
    delete process.env.AGENTSIGHT_DISABLED;
  });

  it('without a key: warns once on stderr, naming the variable and how to silence it, and stays inert', async () => {
    const saved = process.env.AGENTSIGHT_API_KEY;
    delete process.env.AGENTSIGHT_API_KEY;
    try {
      const processors = [new AgentSightSpanProcessor(), new AgentSightSpanProcessor()];
      const exporter = processors[0]?.exporter as AgentSightSpanExporter;
      expect(exporter.enabled).to.equal(false);
      const result = await new Promise<number>((resolve) => exporter.export([], (r) => resolve(r.code)));
      expect(result).to.equal(0);
      for (const processor of processors) {
        await processor.forceFlush();
        await processor.shutdown();
      }
    } finally {
      if (saved !== undefined) process.env.AGENTSIGHT_API_KEY = saved;
    }
    const lines = stderr.filter((line) => line.includes('AGENTSIGHT_API_KEY'));
    expect(lines, 'once per process').to.have.length(1);
    expect(lines[0]).to.match(/AGENTSIGHT_API_KEY is not set: pass \{ apiKey \}/);
    expect(lines[0]).to.contain('AGENTSIGHT_DISABLED=true').and.to.contain('strict: true');
    expect(lines[0]).to.not.contain('AgentSightSpanExporter');
  });

  it('a malformed key warns (without the key) and stays inert; strict: true throws instead', () => {
    const key = 'ags_not-a-real-key-but-secret-ish';
    const exporter = new AgentSightSpanExporter({ apiKey: key });
    expect(exporter.enabled).to.equal(false);
    expect(stderr.join('')).to.contain('malformed').and.not.to.contain(key);
    expect(() => new AgentSightSpanExporter({ apiKey: key, strict: true })).to.throw(AgentSightConfigError);
  });

  it('AGENTSIGHT_DISABLED=true turns tracking off without a word', () => {
    process.env.AGENTSIGHT_DISABLED = 'true';
    const exporter = new AgentSightSpanExporter({ apiKey: 'bad' });
    expect(exporter.enabled).to.equal(false);
    expect(stderr).to.deep.equal([]);
  });

  it('takes an endpoint ending in /api as the base URL', () => {
    for (const endpoint of [
      'https://api.example.com/api',
      'https://api.example.com/api/',
      'https://example.com/agentsight/api',
    ]) {
      const { endpoint: url } = resolveExporterConfig({ apiKey: TEST_API_KEY, endpoint });
      expect(url.pathname, endpoint).to.not.match(/\/api\/?$/);
    }
  });
});
