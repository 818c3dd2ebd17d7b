import { DEFAULT_MAX_VALUE_LENGTH, TrackAction, trackConversation, trackHumanMessage } from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { useTracing } from '../helpers/tracing';

class Echo {
  @TrackAction()
  echo(...values: unknown[]): unknown {
    return values.length === 1 ? values[0] : values;
  }

  @TrackAction({ maxValueLength: 100 })
  short(value: string): string {
    return value;
  }
}

describe('safe recording of odd values', () => {
  const tracing = useTracing();
  const argumentsOf = () => tracing().spans().at(-1)?.attributes[semconv.ATTR_AGENTSIGHT_ACTION_ARGUMENTS];
  const responseOf = () => tracing().spans().at(-1)?.attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE];

  it('serialises circular objects without throwing, and returns the object itself', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node.self = node;
    expect(new Echo().echo(node)).to.equal(node);
    expect(JSON.parse(String(responseOf()))).to.deep.equal({ name: 'root', self: '[Circular]' });
  });

  it('serialises BigInt, Buffer, Map, Set, Error, functions, symbols and undefined readably', () => {
    const value = {
      big: 12345678901234567890n,
      buffer: Buffer.from('hello'),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
      set: new Set([1, 2]),
      error: new RangeError('bad range'),
      fn: function namedFn() {},
      symbol: Symbol('s'),
      missing: undefined,
      date: new Date('2026-01-02T03:04:05.000Z'),
    };
    new Echo().echo(value);
    const { big: _big, ...rest } = JSON.parse(String(responseOf()));
    expect(rest).to.deep.equal({
      buffer: '[Buffer 5 bytes]',
      map: { a: 1, 2: 'b' },
      set: [1, 2],
      error: { name: 'RangeError', message: 'bad range' },
      fn: '[Function namedFn]',
      symbol: 'Symbol(s)',
      date: '2026-01-02T03:04:05.000Z',
    });
    expect(String(responseOf())).to.contain('"big":12345678901234567890');
  });

  it('contains a throwing getter to its own value, and never calls toJSON', () => {
    const hostile = {
      get boom(): never {
        throw new Error('getter');
      },
    };
    const alsoHostile = {
      toJSON(): never {
        throw new Error('toJSON');
      },
    };
    expect(new Echo().echo(hostile)).to.equal(hostile);
    expect(responseOf()).to.equal('{"boom":"[Unreadable]"}');
    expect(new Echo().echo(alsoHostile)).to.equal(alsoHostile);
    expect(responseOf()).to.equal('{"toJSON":"[Function toJSON]"}');
  });

  it('records no response for undefined, and arguments as a JSON array', () => {
    new Echo().echo(undefined, 1, 'two');
    expect(argumentsOf()).to.equal('[null,1,"two"]');
    new Echo().echo(undefined);
    expect(tracing().spans().at(-1)?.attributes).not.to.have.property(semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE);
  });

  it('truncates huge strings at the default limit and says so', () => {
    const huge = 'x'.repeat(DEFAULT_MAX_VALUE_LENGTH * 3);
    expect(new Echo().echo(huge)).to.equal(huge);
    const recorded = String(responseOf());
    expect(recorded.length).to.be.at.most(DEFAULT_MAX_VALUE_LENGTH);
    expect(recorded).to.match(new RegExp(`…\\[truncated, total length: ${huge.length}\\]$`));
  });

  it('truncates at the maxValueLength option, without splitting a surrogate pair', () => {
    const emoji = '😀'.repeat(200);
    new Echo().short(emoji);
    const recorded = String(responseOf());
    expect(recorded.length).to.be.at.most(100);
    const kept = recorded.slice(0, recorded.indexOf('…'));
    expect(kept).to.equal('😀'.repeat(kept.length / 2));
  });

  it('takes the limit from AGENTSIGHT_MAX_VALUE_LENGTH', () => {
    process.env.AGENTSIGHT_MAX_VALUE_LENGTH = '200';
    try {
      trackConversation({ conversationId: 'limits' }, () => trackHumanMessage('y'.repeat(1000)));
    } finally {
      delete process.env.AGENTSIGHT_MAX_VALUE_LENGTH;
    }
    const content = String(
      tracing().one('agentsight.human_message').attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT],
    );
    expect(content.length).to.be.at.most(200);
    expect(content).to.contain('[truncated, total length: 1000]');
  });

  it('keeps oversized metadata valid JSON, cut inside with a marker', () => {
    trackConversation(
      { conversationId: 'big-meta', metadata: { blob: 'z'.repeat(100_000) }, maxValueLength: 500 },
      () => 1,
    );
    const metadata = String(
      tracing().one('invoke_agent conversation').attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_METADATA],
    );
    expect(metadata.length).to.be.at.most(500);
    const parsed = JSON.parse(metadata);
    expect(parsed.blob).to.match(/^z+…\[truncated, 100000 chars\]$/);
  });
});
