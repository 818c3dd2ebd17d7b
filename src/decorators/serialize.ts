import { truncate } from '../common/truncate';
import { boundedJson, type StringTransform } from './bounded-json';

/**
 * Default limit, in UTF-16 code units, for any one recorded value (message text, response,
 * arguments, metadata). Overridden by the `maxValueLength` option or `AGENTSIGHT_MAX_VALUE_LENGTH`.
 */
export const DEFAULT_MAX_VALUE_LENGTH = 32_768;

const MIN_MAX_VALUE_LENGTH = 64;

/**
 * JSON text of a value that must stay parseable (metadata objects), at most `limit` characters:
 * a value too big is cut inside, with markers, and stays valid JSON.
 */
export function toBoundedJson(value: unknown, limit: number, transform?: StringTransform): string | undefined {
  return boundedJson(value, limit, transform);
}

/**
 * Text of a value, at most `limit` characters (responses, message contents, arguments): strings
 * as they are, cut with a marker; everything else as bounded JSON. Primitives take a fast path.
 */
export function toBoundedText(value: unknown, limit: number, transform?: StringTransform): string | undefined {
  if (typeof value === 'string') {
    const cut = value.length > limit ? truncate(value.slice(0, limit + 64), limit, value.length) : value;
    return transform === undefined ? cut : truncate(transform(cut), limit);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return boundedJson(value, limit, transform);
}

/** JSON of an argument list: all-primitive lists (the common case) without the general walk. */
export function toArgumentsJson(
  args: readonly unknown[],
  limit: number,
  transform?: StringTransform,
): string | undefined {
  if (transform === undefined && args.length <= 8) {
    let json = '[';
    for (let i = 0; i < args.length; i++) {
      const arg = args[i];
      const type = typeof arg;
      if (type === 'number' && Number.isFinite(arg)) json += (i > 0 ? ',' : '') + String(arg);
      else if (type === 'boolean') json += (i > 0 ? ',' : '') + String(arg);
      else if (type === 'string' && (arg as string).length <= 256) json += (i > 0 ? ',' : '') + JSON.stringify(arg);
      else return boundedJson(args, limit, transform);
    }
    if (json.length < limit) return `${json}]`;
  }
  return boundedJson(args, limit, transform);
}

/**
 * Reads a value-length limit: the explicit option, else `AGENTSIGHT_MAX_VALUE_LENGTH`, else the
 * default. Unusable values fall back to the default rather than throw at runtime; decorator
 * options are checked at decoration time by {@link assertMaxValueLength}.
 */
export function resolveMaxValueLength(option: number | undefined): number {
  if (option !== undefined) return option;
  const fromEnv = Number(process.env.AGENTSIGHT_MAX_VALUE_LENGTH);
  return Number.isInteger(fromEnv) && fromEnv >= MIN_MAX_VALUE_LENGTH ? fromEnv : DEFAULT_MAX_VALUE_LENGTH;
}

/**
 * Rejects a malformed `maxValueLength` option where it is written, with a message that says
 * what to fix.
 */
export function assertMaxValueLength(option: number | undefined, where: string): void {
  if (option === undefined) return;
  if (!Number.isInteger(option) || option < MIN_MAX_VALUE_LENGTH) {
    throw new TypeError(
      `${where}: maxValueLength must be an integer of at least ${MIN_MAX_VALUE_LENGTH} (got ${String(option)})`,
    );
  }
}
