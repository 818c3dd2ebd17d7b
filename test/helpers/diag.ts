import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';

/** What was logged through OTel's diag while capturing. */
export interface CapturedDiag {
  readonly errors: string[];
  readonly warnings: string[];
  readonly all: string[];
  restore(): void;
}

function text(args: unknown[]): string {
  return args
    .map((a) => (a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a : JSON.stringify(a)))
    .join(' ');
}

/** Installs a diag logger that records every message (until `restore()`). */
export function captureDiag(level: DiagLogLevel = DiagLogLevel.ALL): CapturedDiag {
  const errors: string[] = [];
  const warnings: string[] = [];
  const all: string[] = [];
  const record =
    (into?: string[]) =>
    (...args: unknown[]) => {
      const line = text(args);
      all.push(line);
      into?.push(line);
    };
  const logger: DiagLogger = {
    error: record(errors),
    warn: record(warnings),
    info: record(),
    debug: record(),
    verbose: record(),
  };
  diag.setLogger(logger, { logLevel: level, suppressOverrideMessage: true });
  return { errors, warnings, all, restore: () => diag.disable() };
}
