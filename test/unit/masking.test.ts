import {
  configureAgentSight,
  MASK_FAILED,
  maskPersonalData,
  TrackAction,
  trackAgentMessage,
  trackButton,
  trackConversation,
  trackHumanMessage,
} from 'agentsight-otel';
import * as semconv from 'agentsight-otel/semconv';
import { expect } from 'chai';
import { useTracing } from '../helpers/tracing';

class Tools {
  @TrackAction({ name: 'lookup', metadata: { owner: 'ann@example.com' } })
  lookup(email: string, options: { phone: string }): string {
    return `found ${email} at ${options.phone}`;
  }

  @TrackAction('explode')
  explode(): never {
    throw new Error('no account for bob@example.com');
  }
}

describe('masking content before it reaches any span', () => {
  const tracing = useTracing();
  afterEach(() => configureAgentSight({ mask: undefined }));

  function turn(): void {
    const conversation = {
      conversationId: 'masked',
      customerId: 'ann@example.com',
      name: 'Chat with ann@example.com',
      metadata: { contact: 'ann@example.com', plan: 'pro' },
    };
    trackConversation(conversation, () => {
      trackHumanMessage('I am ann@example.com, call +44 20 7946 0958', { email: 'ann@example.com' });
      new Tools().lookup('ann@example.com', { phone: '+1 (555) 010-9999' });
      try {
        new Tools().explode();
      } catch {
        // expected
      }
      trackButton({ event: 'contact', label: 'Email me at ann@example.com', value: 'ann@example.com' });
      trackAgentMessage('Paid with 4111 1111 1111 1111, key sk-abcdefghijklmnopqrstuvwxyz123456');
    });
  }

  const everything = () =>
    tracing()
      .spans()
      .flatMap((s) => [
        ...Object.values(s.attributes).map(String),
        String(s.status.message ?? ''),
        ...s.events.flatMap((e) => Object.values(e.attributes ?? {}).map(String)),
      ])
      .join('\n');

  it('records content verbatim when no mask is configured', () => {
    turn();
    expect(everything()).to.contain('ann@example.com');
  });

  it('passes every content field through the mask, naming the field, before it is set on the span', () => {
    const fields = new Set<string>();
    configureAgentSight({
      mask: (value, field) => {
        fields.add(field);
        return maskPersonalData(value);
      },
    });
    turn();
    const recorded = everything();
    for (const secret of [
      'ann@example.com',
      'bob@example.com',
      '4111 1111 1111 1111',
      '7946 0958',
      '010-9999',
      'sk-abc',
    ]) {
      expect(recorded, secret).to.not.contain(secret);
    }
    expect(recorded).to.contain('[email]').and.to.contain('[card]').and.to.contain('[phone]').and.to.contain('[token]');
    expect(recorded, 'what is not personal stays').to.contain('"plan":"pro"');
    expect([...fields].sort()).to.deep.equal([
      'action.arguments',
      'action.error',
      'action.metadata',
      'action.name',
      'action.response',
      'button.event',
      'button.label',
      'button.value',
      'conversation.customer_id',
      'conversation.metadata',
      'conversation.name',
      'message.content',
      'message.metadata',
    ]);
  });

  it('fails closed: a mask that throws or returns a non-string sends the marker, never the value', () => {
    configureAgentSight({
      mask: (value) => {
        if (value.includes('call')) throw new Error('mask bug');
        return 42 as unknown as string;
      },
    });
    turn();
    const recorded = everything();
    expect(recorded).to.not.contain('ann@example.com');
    const human = tracing().one('agentsight.human_message');
    expect(human.attributes[semconv.ATTR_AGENTSIGHT_MESSAGE_CONTENT]).to.equal(MASK_FAILED);
  });

  it('rejects a mask that is not a function', () => {
    expect(() => configureAgentSight({ mask: 'yes' as never })).to.throw(TypeError, /mask must be a function/);
  });

  describe('maskPersonalData', () => {
    const cases: [string, string][] = [
      ['write to first.last+tag@mail.example.co.uk today', 'write to [email] today'],
      ['card 4242-4242-4242-4242 ok', 'card [card] ok'],
      ['order 1234567890123 is not a card', 'order 1234567890123 is not a card'],
      ['call +33 1 42 68 53 00 now', 'call [phone] now'],
      ['(555) 123-4567', '[phone]'],
      ['key ags_1a2b3c4d5e6f7890abcdef1234567890_a1b2c3 here', 'key [token] here'],
      [
        'bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
        'bearer [token]',
      ],
      ['aws AKIAIOSFODNN7EXAMPLE', 'aws [token]'],
      ['year 2026, 3 items, version 1.2.3', 'year 2026, 3 items, version 1.2.3'],
      // Look-alikes are matched in the NFKC form: a full-width @, a card split by no-break spaces.
      ['mail ann\uff20example.com please', 'mail [email] please'],
      ['card 4111\u00a01111\u00a01111\u00a01111 ok', 'card [card] ok'],
      ['card 4111\u202f1111\u202f1111\u202f1111 ok', 'card [card] ok'],
      // A text with nothing to mask comes back exactly as written, look-alikes and all.
      ['ｆｕｌｌ\u00a0width, nothing personal', 'ｆｕｌｌ\u00a0width, nothing personal'],
    ];
    for (const [input, expected] of cases) {
      it(`masks ${JSON.stringify(input)}`, () => expect(maskPersonalData(input)).to.equal(expected));
    }
  });
});
