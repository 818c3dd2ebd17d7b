import { expect } from 'chai';
import { isUnreachableError } from '#internal/api/retry';
import { loggable, redactor } from '#internal/common/log-text';
import { AdaptiveLimit } from '#internal/delivery/adaptive-limit';
import { CircuitBreaker } from '#internal/delivery/circuit-breaker';

describe('delivery policy (pure)', () => {
  describe('AdaptiveLimit', () => {
    it('grows by one per healthy answer while the limit is in use, up to the ceiling', () => {
      const limit = new AdaptiveLimit(4, 6);
      limit.grow(1); // well under the limit: no growth
      expect(limit.current).to.equal(4);
      for (let i = 0; i < 5; i++) limit.grow(limit.current);
      expect(limit.current).to.equal(6);
    });

    it('halves on overload, once per cooldown, never below one, and resets after an outage', () => {
      const limit = new AdaptiveLimit(16, 64, 500);
      limit.shrink(1_000);
      limit.shrink(1_100); // same burst of bad answers
      expect(limit.current).to.equal(8);
      for (let t = 2_000; t < 20_000; t += 1_000) limit.shrink(t);
      expect(limit.current).to.equal(1);
      limit.reset();
      expect(limit.current).to.equal(16);
    });
  });

  describe('CircuitBreaker', () => {
    it('opens after three failures in a row, then lets one probe through at a time', () => {
      const breaker = new CircuitBreaker(3, 1_000, 5_000);
      expect(breaker.allowance(0, 0, 10)).to.equal(10);
      breaker.failed(0, 'ECONNREFUSED');
      breaker.failed(0, 'ECONNREFUSED');
      expect(breaker.status).to.equal('closed');
      breaker.failed(0, 'ECONNREFUSED');
      expect(breaker.status).to.equal('open');
      expect(breaker.cause).to.equal('ECONNREFUSED');
      expect(breaker.allowance(999, 0, 10)).to.equal(0);
      expect(breaker.resumeAt(500)).to.equal(1_000);
      expect(breaker.allowance(1_000, 0, 10), 'the probe').to.equal(1);
      breaker.sent();
      expect(breaker.allowance(1_001, 1, 10), 'only one probe on the wire').to.equal(0);
      breaker.failed(1_500, 'ECONNREFUSED');
      expect(breaker.resumeAt(1_500), 'the wait doubles').to.equal(3_500);
      breaker.allowance(3_500, 0, 10);
      breaker.sent();
      breaker.succeeded();
      expect(breaker.status).to.equal('closed');
      expect(breaker.allowance(3_600, 2, 10)).to.equal(8);
    });

    it('caps the wait between probes', () => {
      const breaker = new CircuitBreaker(1, 1_000, 5_000);
      let now = 0;
      breaker.failed(now, 'ETIMEDOUT');
      for (let i = 0; i < 10; i++) {
        now = breaker.resumeAt(now) ?? now;
        breaker.allowance(now, 0, 1);
        breaker.sent();
        breaker.failed(now, 'ETIMEDOUT');
      }
      expect((breaker.resumeAt(now) ?? 0) - now).to.equal(5_000);
    });

    it('pauses the whole endpoint for a Retry-After, whatever the circuit says', () => {
      const breaker = new CircuitBreaker(3, 1_000, 5_000);
      breaker.pause(2_000);
      expect(breaker.allowance(1_999, 0, 10)).to.equal(0);
      expect(breaker.resumeAt(0)).to.equal(2_000);
      expect(breaker.allowance(2_000, 0, 10)).to.equal(10);
    });
  });

  it('knows which transport failures mean nothing is listening', () => {
    expect(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH'].every(isUnreachableError)).to.equal(true);
    expect(['REQUEST_TIMEOUT', 'ECONNRESET', undefined].some(isUnreachableError)).to.equal(false);
  });

  describe('log text', () => {
    it('bounds a value and escapes what could forge a log line', () => {
      const forged = `conv-1\nERROR forged line\u2028${'x'.repeat(10_000)}`;
      const text = loggable(forged);
      expect(text).to.not.match(/[\n\r\u2028]/);
      expect(text).to.contain('\\u000a');
      expect(text.length).to.be.lessThan(260);
      expect(text).to.match(/…\[10025 chars\]$/);
    });

    it('redacts the key in any case, and anything shaped like a key', () => {
      const key = 'ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3';
      const redact = redactor(key);
      const echoed = `bad key ${key} / ${key.toUpperCase()} / ags_${'f'.repeat(32)}_${'0'.repeat(6)}`;
      const clean = redact(echoed);
      expect(clean.toLowerCase()).to.not.contain(key.toLowerCase());
      expect(clean).to.not.match(/ags_[a-f0-9]{32}/i);
      expect(clean.match(/ags_\[redacted\]/g)).to.have.length(3);
    });
  });
});
