import { createHash, timingSafeEqual } from 'node:crypto';
import { AgentSightConfigError } from '../api/config';
import { loggable } from '../common/log-text';

/** Refused tokens are said at most this often, with the count since the last report. */
const UNAUTHORIZED_REPORT_EVERY_MILLIS = 60_000;
/** Shortest bearer token accepted: guessing must not be practical. */
const MIN_TOKEN_LENGTH = 16;

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The bridge's bearer token check: the scheme `Bearer` in any case (RFC 9110 makes schemes
 * case-insensitive), the token compared by hash in constant time. A refusal is counted and said
 * (the first at once, then at most once a minute with the count), because a Collector drops data
 * for good on a 401 and would otherwise lose it without a word anywhere.
 */
export class BearerCheck {
  private readonly expected: Buffer;
  private saidAt = Number.NEGATIVE_INFINITY;
  private unsaid = 0;

  /** @throws AgentSightConfigError when the token is missing or shorter than 16 characters */
  constructor(
    token: string | undefined,
    private readonly warn: (message: string) => void,
  ) {
    if (token === undefined || token.length < MIN_TOKEN_LENGTH) {
      throw new AgentSightConfigError(
        `the bridge needs a bearer token of at least ${MIN_TOKEN_LENGTH} characters (option token or AGENTSIGHT_BRIDGE_TOKEN)`,
      );
    }
    this.expected = digest(token);
  }

  /** Whether an `Authorization` value carries the token; `from` names the sender in the warning. */
  allows(authorization: string | undefined, from: string): boolean {
    const token = /^\s*bearer\s+(.*?)\s*$/i.exec(String(authorization ?? ''))?.[1] ?? '';
    if (timingSafeEqual(digest(token), this.expected)) return true;
    this.unsaid += 1;
    const now = Date.now();
    if (now - this.saidAt >= UNAUTHORIZED_REPORT_EVERY_MILLIS) {
      const what = authorization === undefined ? 'no Authorization header' : 'a wrong bearer token';
      this.warn(
        `refused ${this.unsaid} request(s) without a valid bearer token since the last report ` +
          `(latest from ${loggable(from, 60)}: ${what}); the sender drops that data for good: check AGENTSIGHT_BRIDGE_TOKEN on both sides`,
      );
      this.saidAt = now;
      this.unsaid = 0;
    }
    return false;
  }
}
