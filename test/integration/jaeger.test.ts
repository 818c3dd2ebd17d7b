import { expect } from 'chai';
import { chatOnce } from '../helpers/chat-server';
import { cachedTool, type RunningProcess, runProgram } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

/** Jaeger's query API (the v1 HTTP API that Jaeger v2 still serves on 16686). */
const QUERY = 'http://127.0.0.1:16686';

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}
interface JaegerTrace {
  spans: JaegerSpan[];
}

const tag = (span: JaegerSpan | undefined, key: string) => span?.tags.find((t) => t.key === key)?.value;

async function traces(query: Record<string, string>): Promise<JaegerTrace[]> {
  const response = await fetch(`${QUERY}/api/traces?${new URLSearchParams(query)}`);
  const body = (await response.json()) as { data: JaegerTrace[] | null };
  return body.data ?? [];
}

describe('a real Jaeger (v2, built from its Go module) receives the chat server’s spans', function () {
  this.timeout(300_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });
  let binary: string | undefined;
  let jaeger: RunningProcess | undefined;

  before(async function () {
    // A first build from an empty Go module cache takes minutes (Jaeger: ~4 on 2 vCPUs).
    this.timeout(1_200_000);
    binary = cachedTool('scripts/jaeger.sh');
    if (binary === undefined) {
      console.warn('    (skipped: Jaeger cannot be built here; see .ci/run)');
      this.skip();
    }
    // All-in-one with its default configuration: in-memory storage, OTLP/HTTP on 4318.
    jaeger = runProgram(binary as string);
    await jaeger.waitFor(/Everything is ready/, 60_000);
  });
  after(async () => {
    await jaeger?.stop();
  });

  it('finds the turn by gen_ai.conversation.id, with its span tree and attributes, and no span of AgentSight delivery', async () => {
    await chatOnce(
      {
        AGENTSIGHT_API_KEY: TEST_API_KEY,
        AGENTSIGHT_API_ENDPOINT: receiver().url,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      },
      { message: 'What is 127 multiplied by 8?', conversation_id: 'jaeger-real-1' },
    );
    // AgentSight got the turn too, so the absence of delivery spans below means something.
    expect(
      receiver()
        .store.recordsOf('jaeger-real-1')
        .map((r) => r.kind),
    ).to.include.members(['message', 'action']);

    const byConversation = {
      service: 'agentsight-chat-server',
      tags: JSON.stringify({ 'gen_ai.conversation.id': 'jaeger-real-1' }),
      limit: '20',
    };
    let found: JaegerTrace[] = [];
    for (let i = 0; i < 60 && found.length === 0; i += 1) {
      found = await traces(byConversation);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(found, 'the turn, found by gen_ai.conversation.id').to.have.length(1);
    const spans = (found[0] as JaegerTrace).spans;
    const named = (name: string) => spans.filter((s) => s.operationName === name);
    const parentOf = (span: JaegerSpan | undefined) =>
      spans.find((s) => s.spanID === span?.references.find((r) => r.refType === 'CHILD_OF')?.spanID);

    const turn = named('invoke_agent chat')[0];
    expect(parentOf(turn)?.operationName, 'the turn runs inside the HTTP request').to.equal('POST');
    expect(tag(turn, 'agentsight.span.kind')).to.equal('conversation');
    expect(tag(turn, 'agentsight.conversation.name')).to.equal('Advanced Chat');
    for (const child of ['agentsight.human_message', 'execute_tool calculator', 'agentsight.agent_message']) {
      expect(parentOf(named(child)[0])?.operationName, child).to.equal('invoke_agent chat');
    }
    expect(named('chat scripted-offline-model').every((s) => parentOf(s) === turn)).to.equal(true);
    expect(tag(named('agentsight.human_message')[0], 'agentsight.message.content')).to.equal(
      'What is 127 multiplied by 8?',
    );
    expect(tag(named('execute_tool calculator')[0], 'agentsight.action.response')).to.equal('1016');
    expect(tag(named('agentsight.agent_message')[0], 'agentsight.message.content')).to.equal('The answer is 1016.');

    // Every span the service sent: none is a request of the exporter to AgentSight.
    const everything = (await traces({ service: 'agentsight-chat-server', limit: '100' })).flatMap((t) => t.spans);
    const delivery = everything.filter((s) =>
      s.tags.some((t) => typeof t.value === 'string' && t.value.includes(`${receiver().port}`)),
    );
    expect(everything.length).to.be.greaterThan(5);
    expect(delivery.map((s) => s.operationName)).to.deep.equal([]);
  });
});
