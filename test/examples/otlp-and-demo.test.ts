import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { chatOnce } from '../helpers/chat-server';
import { runNode } from '../helpers/processes';
import { TEST_API_KEY, useReceiver } from '../helpers/receiver';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}
interface OtlpSpan {
  name: string;
  attributes: OtlpAttribute[];
}

/** A loopback OTLP/HTTP endpoint (as Jaeger's :4318) that keeps the JSON trace payloads it receives. */
async function startOtlpCollector(): Promise<{
  url: string;
  spans: OtlpSpan[];
  services: string[];
  close(): Promise<void>;
}> {
  const spans: OtlpSpan[] = [];
  const services: string[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      expect(request.url).to.equal('/v1/traces');
      expect(request.headers['content-type']).to.match(/application\/json/);
      const payload = JSON.parse(body) as {
        resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const resourceSpans of payload.resourceSpans) {
        const service = resourceSpans.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        if (service) services.push(service);
        for (const scope of resourceSpans.scopeSpans) spans.push(...scope.spans);
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    services,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const attribute = (span: OtlpSpan | undefined, key: string) => {
  const value = span?.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? Number(value.intValue) : value?.boolValue);
};

describe('example: the same spans in Jaeger (OTLP/HTTP) and the one-command demo', function () {
  this.timeout(60_000);
  const receiver = useReceiver({ apiKey: TEST_API_KEY });

  it('sends the spans, with AgentSight attributes intact, to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const collector = await startOtlpCollector();
    try {
      await chatOnce(
        {
          AGENTSIGHT_API_KEY: TEST_API_KEY,
          AGENTSIGHT_API_ENDPOINT: receiver().url,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        },
        { message: 'What is 127 multiplied by 8?', conversation_id: 'jaeger-1' },
      );
    } finally {
      await collector.close();
    }
    expect(collector.services).to.include('agentsight-chat-server');
    const byName = (name: string) => collector.spans.find((s) => s.name === name);
    expect(collector.spans.map((s) => s.name)).to.include.members([
      'POST',
      'invoke_agent chat',
      'agentsight.human_message',
      'execute_tool calculator',
      'chat scripted-offline-model',
      'agentsight.agent_message',
    ]);
    const turn = byName('invoke_agent chat');
    expect(attribute(turn, 'agentsight.span.kind')).to.equal('conversation');
    expect(attribute(turn, 'agentsight.conversation.id')).to.equal('jaeger-1');
    expect(attribute(turn, 'gen_ai.conversation.id')).to.equal('jaeger-1');
    expect(attribute(turn, 'gen_ai.operation.name')).to.equal('invoke_agent');
    expect(attribute(turn, 'agentsight.conversation.name')).to.equal('Advanced Chat');
    const tool = byName('execute_tool calculator');
    expect(attribute(tool, 'gen_ai.tool.name')).to.equal('calculator');
    expect(attribute(tool, 'agentsight.action.response')).to.equal('1016');
    const llm = byName('chat scripted-offline-model');
    expect(attribute(llm, 'agentsight.conversation.id'), 'the LLM span was stamped with the conversation').to.equal(
      'jaeger-1',
    );
    expect(attribute(llm, 'gen_ai.usage.input_tokens')).to.be.greaterThan(0);
    // The exporter's own requests to AgentSight are not traced, so Jaeger shows none.
    expect(collector.spans.filter((s) => String(attribute(s, 'url.full') ?? '').includes('/api/'))).to.deep.equal([]);
  });

  it('`npm run demo` prints the three transcripts, the uploaded image and the feedback as the receiver stored them, and exits 0', async () => {
    const started = Date.now();
    const demo = runNode('build/examples/demo/main.js');
    expect(await demo.exited()).to.equal(0);
    const elapsed = Date.now() - started;
    const output = demo.output();
    expect(output).to.contain('LLM:        offline scripted model');
    expect(output).to.match(
      /conversation conv_[0-9a-f]{12} \(#1\) · "Advanced Chat" · source api · device desktop · development\n.*user {5}Hello! Can you help me with some math\?\n.*tokens {3}prompt \d+ · completion \d+ · total \d+\n.*agent {4}Hello! I'm the demo assistant/,
    );
    expect(output).to.match(
      /user {5}What is 127 multiplied by 8\?\n.*action {3}calculator \(\d+ ms\) → 1016\n.*tokens {3}prompt \d+ · completion \d+ · total \d+\n.*agent {4}The answer is 1016\./,
    );
    expect(output).to.match(
      /conversation web-chat-123 \(#\d+\) · "Advanced Chat" · customer user-456 .*\n.*user {5}And what is 1016 divided by 4\?\n.*action {3}calculator \(\d+ ms\) → 254\n(?:.*tokens.*\n)?.*agent {4}The answer is 254\.\n.*user {5}Here is my chart of the results\.\n.*files {4}end_user: chart\.png \(image\/png, [\d.]+ KiB\) · message #\d+\n(?:.*tokens.*\n)?.*agent {4}Thanks, I have your chart\..*\n.*feedback positive Quick and right/,
    );
    expect(output).to.contain('POST /feedback');
    // Token usage is one record per turn, even when two turns share an export (they merged before: 17 or 18).
    expect(output).to.match(/3 conversations, 19 records stored, 0 requests rejected\./);
    expect(elapsed, 'the demo is quick').to.be.lessThan(30_000);
  });
});
