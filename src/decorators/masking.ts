import { setPendingAttachmentBudget } from '../attachments';
import { processWide } from '../common/process-wide';
import type { StringTransform } from './bounded-json';

/** The content fields a mask sees, each named as it is passed to the mask. */
export type MaskField =
  | 'message.content'
  | 'message.metadata'
  | 'conversation.customer_id'
  | 'conversation.customer_ip_address'
  | 'conversation.name'
  | 'conversation.metadata'
  | 'action.name'
  | 'action.arguments'
  | 'action.response'
  | 'action.error'
  | 'action.metadata'
  | 'button.event'
  | 'button.label'
  | 'button.value'
  | 'button.metadata'
  | 'feedback.comment'
  | 'feedback.metadata';

/**
 * Rewrites one string value before it is set on a span: the whole text of a message, a string
 * response or an error; each string inside arguments, responses and metadata. Returns the masked
 * text. It sees values already cut to `maxValueLength`.
 */
export type Mask = (value: string, field: MaskField) => string;

/** What a value becomes when the mask throws or returns something that is not a string. */
export const MASK_FAILED = '[masked: the mask failed]';

/** Process-wide settings of the instrumentation side. */
export interface AgentSightSettings {
  /**
   * Masks content before it is recorded on a span, so AgentSight, Jaeger and every other exporter
   * see only the masked value. `undefined` turns masking off. See {@link maskPersonalData}.
   */
  mask?: Mask | undefined;
  /**
   * Bytes of attachments held between recording and hand-over to the exporter (default 64 MiB).
   * An attachment that does not fit is dropped (its message is not), logged and counted as
   * `attachment_over_budget`.
   */
  pendingAttachmentBytes?: number;
}

/** The mask, one per process for every copy of the package (see `processWide`). */
const settings = processWide('settings', () => ({ mask: undefined as Mask | undefined, version: 0 }));
/** This copy's fail-closed wrappers of the mask, for the version they were made for. */
const transforms = new Map<MaskField, StringTransform>();
let transformsVersion = 0;

/**
 * Configures the instrumentation side for the whole process, every copy of the package included
 * (a bundled route's own copy masks with the mask `instrumentation.ts` set). Masking lives here, not in the
 * processor's options: values are set on spans by the decorators, and every processor and
 * exporter (AgentSight's, Jaeger's, an OTLP backend's) reads the same span, so the only place
 * where masking reaches all of them is before the value is set.
 *
 * @example
 * ```ts
 * configureAgentSight({ mask: maskPersonalData });
 * ```
 */
export function configureAgentSight(options: AgentSightSettings): void {
  if (options.mask !== undefined && typeof options.mask !== 'function') {
    throw new TypeError('configureAgentSight: mask must be a function (value, field) => string, or undefined');
  }
  const budget = options.pendingAttachmentBytes;
  if (budget !== undefined && !(Number.isSafeInteger(budget) && budget >= 0)) {
    throw new TypeError('configureAgentSight: pendingAttachmentBytes must be a non-negative integer');
  }
  if (budget !== undefined) setPendingAttachmentBudget(budget);
  if ('mask' in options) {
    settings.mask = options.mask;
    settings.version += 1;
  }
}

/** Changes whenever the mask does: values computed once (decoration time) are recomputed. */
export function maskVersion(): number {
  return settings.version;
}

/**
 * The fail-closed transform for `field`, or undefined when no mask is configured (the fast path:
 * nothing is wrapped or called).
 */
export function maskFor(field: MaskField): StringTransform | undefined {
  const mask = settings.mask;
  if (mask === undefined) return undefined;
  if (transformsVersion !== settings.version) {
    transforms.clear();
    transformsVersion = settings.version;
  }
  let transform = transforms.get(field);
  if (transform === undefined) {
    transform = (value: string) => {
      try {
        const masked = mask(value, field);
        return typeof masked === 'string' ? masked : MASK_FAILED;
      } catch {
        return MASK_FAILED;
      }
    };
    transforms.set(field, transform);
  }
  return transform;
}

/** `value` through the mask configured for `field` (fail closed), or as it is when none is. */
export function maskText(value: string, field: MaskField): string {
  const transform = maskFor(field);
  return transform === undefined ? value : transform(value);
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** Keys and tokens by their known prefixes, then long unbroken runs of key-like characters. */
const TOKEN =
  /\b(?:ags_[A-Fa-f0-9]{32}_[A-Fa-f0-9]{6}|sk-[A-Za-z0-9_-]{16,}|(?:ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})\b|\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}\b/g;
/** 13 to 19 digits, in groups separated by single spaces or dashes (after NFKC, any space is one). */
const CARD = /\b\d(?:[ -]?\d){12,18}\b/g;
/**
 * A phone number: 8 to 15 digits written as one, with a leading + or bracket, or separators
 * (spaces, dots, dashes, brackets). A bare run of digits is left alone: it is as likely an order
 * or account number.
 */
const PHONE = /(?<![\w+])(?:\+|\()?\d(?:[\d\s().-]{6,18})\d(?!\w)/g;
const PHONE_SHAPE = /^[+(]|[\s().-]/;

/** The Luhn checksum, which every payment card number passes. */
function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * An opt-in mask for common personal data and secrets: e-mail addresses become `[email]`,
 * payment card numbers (13–19 digits that pass the Luhn check) `[card]`, phone numbers (8–15
 * digits written with a leading + or bracket, or with separators) `[phone]`, and API keys and tokens
 * (AgentSight, OpenAI `sk-`, GitHub, Slack, AWS access keys, JWTs, and any unbroken run of 32+
 * letters and digits mixing both) `[token]`. Regular expressions, so it can miss data written
 * unusually and can mask a long number that is neither.
 *
 * @example
 * ```ts
 * configureAgentSight({ mask: maskPersonalData });
 * configureAgentSight({ mask: (value, field) => (field === 'action.arguments' ? '[hidden]' : maskPersonalData(value)) });
 * ```
 */
export function maskPersonalData(value: string): string {
  const masked = maskAsWritten(value);
  if (masked !== value) return masked;
  // Written with look-alikes (a full-width ＠, digits split by no-break spaces): matched in the
  // NFKC form. Only a text that held something to mask comes back normalised; any other text is
  // returned exactly as it was.
  const normalised = value.normalize('NFKC');
  if (normalised === value) return value;
  const maskedNormalised = maskAsWritten(normalised);
  return maskedNormalised === normalised ? value : maskedNormalised;
}

function maskAsWritten(value: string): string {
  return value
    .replace(EMAIL, '[email]')
    .replace(TOKEN, '[token]')
    .replace(CARD, (match) => (passesLuhn(match.replace(/[ -]/g, '')) ? '[card]' : match))
    .replace(PHONE, (match) => {
      const digits = match.replace(/\D/g, '').length;
      return digits >= 8 && digits <= 15 && PHONE_SHAPE.test(match) ? '[phone]' : match;
    });
}
