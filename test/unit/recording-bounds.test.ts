import { TrackAction, TrackConversation, trackConversation, trackHumanMessage } from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { captureDiag } from '../helpers/diag';
import { useTracing } from '../helpers/tracing';

const MB = 1024 * 1024;

class Storage {
  @TrackAction('store')
  store(blob: Buffer): Buffer {
    return blob;
  }

  @TrackAction('fail')
  fail(message: string): never {
    throw new Error(message);
  }
}

class Chat {
  @TrackConversation({
    conversationId: (id: string) => id,
    humanMessage: (_id: string, text: string) => text,
    device: (_id: string, _text: string, device: unknown) => device as 'desktop',
    metadata: (_id: string, _text: string, _device: unknown, metadata: unknown) => metadata as Record<string, unknown>,
  })
  turn(_id: string, text: string, _device?: unknown, _metadata?: unknown): string {
    return `echo ${text}`;
  }
}

describe('recording values: bounded, whatever their size', () => {
  const tracing = useTracing();

  it('describes a 200 MB Buffer passed to and returned from a tool, without expanding it', function () {
    this.timeout(30_000);
    const blob = Buffer.alloc(200 * MB, 7);
    global.gc?.();
    const before = process.memoryUsage().rss;
    const started = process.hrtime.bigint();
    const result = trackConversation({ conversationId: 'buffers' }, () => new Storage().store(blob));
    const millis = Number(process.hrtime.bigint() - started) / 1e6;
    const grown = process.memoryUsage().rss - before;
    expect(result).to.equal(blob);
    expect(grown, 'RSS growth').to.be.lessThan(100 * MB);
    expect(millis, 'a generous bound; the first version took 8 s for 64 MB').to.be.lessThan(1_000);
    const action = tracing().one('execute_tool store');
    expect(action.attributes[semconv.ATTR_AGENTSIGHT_ACTION_ARGUMENTS]).to.equal(`["[Buffer ${200 * MB} bytes]"]`);
    expect(action.attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).to.equal(`"[Buffer ${200 * MB} bytes]"`);
  });

  it('walks big Maps, objects and strings in time that does not grow with their size', () => {
    const map = new Map(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, { i }]));
    const wide = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, i]));
    const long = 'x'.repeat(10 * MB);
    for (const value of [map, wide, long]) {
      const started = process.hrtime.bigint();
      trackConversation({ conversationId: 'big' }, () => new Storage().store(value as never));
      const millis = Number(process.hrtime.bigint() - started) / 1e6;
      // Was 460 ms (Map), 250 ms (object), 50-120 ms (string); now ~1, ~40, ~1 ms. The object
      // still costs its key listing (V8 lists all keys of a plain object before the first is
      // read); this is a generous bound, not a benchmark.
      expect(millis).to.be.lessThan(150);
    }
    for (const span of tracing().named('execute_tool store')) {
      expect(String(span.attributes[semconv.ATTR_AGENTSIGHT_ACTION_RESPONSE]).length).to.be.at.most(32_768);
    }
  });

  it('cuts the message and stack of an exception event at maxValueLength', () => {
    const huge = 'e'.repeat(10 * MB);
    expect(() => trackConversation({ conversationId: 'errors' }, () => new Storage().fail(huge))).to.throw(huge);
    const action = tracing().one('execute_tool fail');
    const event = action.events.find((e) => e.name === 'exception');
    expect(String(event?.attributes?.['exception.message']).length).to.be.at.most(32_768);
    expect(String(event?.attributes?.['exception.stacktrace']).length).to.be.at.most(32_768);
    expect(String(action.status.message).length).to.be.at.most(32_768);
  });

  it('bounds a 10 MB conversation id to 255 characters, keeping distinct ids distinct, on every span', () => {
    const diag = captureDiag();
    try {
      const base = 'c'.repeat(10 * MB);
      trackConversation({ conversationId: `${base}1`, device: 'toaster' as never }, () => trackHumanMessage('a'));
      trackConversation({ conversationId: `${base}2` }, () => trackHumanMessage('b'));
    } finally {
      diag.restore();
    }
    const ids = tracing()
      .spans()
      .map((s) => String(s.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]));
    expect(ids.every((id) => id.length <= 255)).to.equal(true);
    expect(new Set(ids).size).to.equal(2);
    expect(
      tracing()
        .spans()
        .every(
          (s) =>
            s.attributes[semconv.ATTR_GEN_AI_CONVERSATION_ID] === s.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID],
        ),
    ).to.equal(true);
    expect(diag.warnings.length).to.be.greaterThan(0);
    expect(Math.max(...diag.all.map((line) => line.length))).to.be.lessThan(10_000);
  });

  it('replaces control characters in ids, so they cannot forge log lines', () => {
    const diag = captureDiag();
    try {
      trackConversation({ conversationId: 'a\nERROR forged', device: 'x\r\nERROR forged' as never }, () => 1);
    } finally {
      diag.restore();
    }
    const id = String(tracing().spans()[0]?.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_ID]);
    expect(id).to.match(/^a_ERROR forged~[0-9a-f]{16}$/);
    expect(diag.all.join('|')).to.not.match(/[\r\n]/);
  });

  it('keeps the turn when an option value cannot be printed or read', () => {
    const nullPrototype = Object.create(null) as object;
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const result = new Chat().turn('odd-options', 'hello', nullPrototype, proxy);
    expect(result).to.equal('echo hello');
    const names = tracing()
      .spans()
      .map((s) => s.name);
    expect(names).to.include.members(['agentsight.human_message', 'agentsight.agent_message']);
    const turn = tracing().one('invoke_agent turn');
    expect(turn.attributes[semconv.ATTR_AGENTSIGHT_CONVERSATION_METADATA]).to.equal('{"value":"[Unreadable]"}');
    expect(turn.attributes).to.not.have.property(semconv.ATTR_AGENTSIGHT_CONVERSATION_DEVICE);
  });
});
