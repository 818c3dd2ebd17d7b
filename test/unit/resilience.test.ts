import { context, propagation, type Span, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import {
  TrackAction,
  TrackConversation,
  trackAction,
  trackButton,
  trackConversation,
  trackHumanMessage,
} from 'agentsight-otel';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';

class Service {
  @TrackConversation({ humanMessage: (text: string) => text })
  async turn(text: string): Promise<string> {
    return this.tool(text);
  }

  @TrackAction()
  tool(text: string): string {
    if (text === 'fail') throw new SyntaxError('bad input');
    return text.split('').reverse().join('');
  }
}

/** A provider whose every tracer method throws: the worst a broken telemetry set-up can do. */
class ExplodingProvider implements TracerProvider {
  getTracer(): Tracer {
    const explode = (): never => {
      throw new Error('telemetry is broken');
    };
    return { startSpan: explode, startActiveSpan: explode } as unknown as Tracer;
  }
}

/** A provider whose spans throw on every call after they start. */
class HostileSpanProvider implements TracerProvider {
  getTracer(): Tracer {
    const hostile = new Proxy(
      {},
      {
        get: (_t, property) => {
          if (property === 'spanContext')
            return () => ({ traceId: '1'.repeat(32), spanId: '1'.repeat(16), traceFlags: 1 });
          if (property === 'isRecording') return () => true;
          return () => {
            throw new Error(`span.${String(property)} is broken`);
          };
        },
      },
    ) as Span;
    return { startSpan: () => hostile, startActiveSpan: () => hostile } as unknown as Tracer;
  }
}

describe('telemetry never breaks the application', () => {
  afterEach(() => {
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('runs decorated methods normally when no SDK is registered', async () => {
    const service = new Service();
    expect(await service.turn('abc')).to.equal('cba');
    expect(() => service.tool('fail')).to.throw(SyntaxError, 'bad input');
    expect(trackConversation({}, () => trackAction('x', () => 7))).to.equal(7);
    trackHumanMessage('no conversation, no SDK');
  });

  for (const [label, Provider] of [
    ['every tracer call throws', ExplodingProvider],
    ['every span call throws', HostileSpanProvider],
  ] as const) {
    it(`returns and throws exactly what the method does when ${label}`, async () => {
      trace.setGlobalTracerProvider(new Provider());
      const diag = captureDiag();
      try {
        const service = new Service();
        expect(await service.turn('abc')).to.equal('cba');
        const error = await service.turn('fail').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(SyntaxError);
        expect(trackConversation({ conversationId: 'c' }, () => 'sync')).to.equal('sync');
        expect(await trackAction('t', async () => 'async')).to.equal('async');
        trackConversation({ conversationId: 'c' }, () => trackButton({ event: 'e', label: 'l', value: 'v' }));
      } finally {
        diag.restore();
      }
    });
  }
});
