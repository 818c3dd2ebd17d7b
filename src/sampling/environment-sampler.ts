import { diag } from '@opentelemetry/api';
import type { WrappableSampler as Sampler } from '../common/sdk-shapes';

const log = diag.createComponentLogger({ namespace: 'agentsight' });

/** The sampler classes every SDK line exports. */
interface SamplerClasses {
  AlwaysOnSampler: new () => Sampler;
  AlwaysOffSampler: new () => Sampler;
  TraceIdRatioBasedSampler: new (ratio?: number) => Sampler;
  ParentBasedSampler: new (config: { root: Sampler }) => Sampler;
}

/**
 * The application's own SDK: `@opentelemetry/sdk-trace` (2.9 and later, and 3.x), else
 * `@opentelemetry/sdk-trace-base` (1.x and 2.x). Loaded only when a sampler is built from the
 * environment, so that nothing else of ours needs an SDK package at runtime.
 */
function sdkSamplers(): SamplerClasses {
  for (const name of ['@opentelemetry/sdk-trace', '@opentelemetry/sdk-trace-base']) {
    try {
      const sdk = require(name) as Partial<SamplerClasses>;
      if (typeof sdk.ParentBasedSampler === 'function') return sdk as SamplerClasses;
    } catch {
      // Not installed: try the other line.
    }
  }
  throw new TypeError(
    'AgentSightSampler() without a sampler builds one from OTEL_TRACES_SAMPLER, which needs ' +
      '@opentelemetry/sdk-trace or @opentelemetry/sdk-trace-base; install one, or pass your sampler',
  );
}

function ratioFromEnvironment(): number {
  const raw = process.env.OTEL_TRACES_SAMPLER_ARG;
  if (raw === undefined || raw.trim() === '') return 1;
  const ratio = Number(raw);
  if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) return ratio;
  log.warn(`OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1 (got "${raw.slice(0, 40)}"); using 1`);
  return 1;
}

/**
 * The sampler `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` describe, built as the SDK does
 * (`parentbased_always_on` when unset or unknown). NodeSDK builds this only when given no
 * sampler, so one wrapped in {@link AgentSightSampler} is built here.
 */
export function samplerFromEnvironment(): Sampler {
  const sdk = sdkSamplers();
  const name = (process.env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratioFromEnvironment());
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratioFromEnvironment()) });
    default:
      if (name !== 'parentbased_always_on' && name !== '') {
        log.warn(
          `OTEL_TRACES_SAMPLER "${name.slice(0, 40)}" is not one AgentSightSampler can build; using parentbased_always_on`,
        );
      }
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}
