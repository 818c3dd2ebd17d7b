import type { NodeSDK } from '@opentelemetry/sdk-node';
import { AgentSightSpanProcessor, ConversationId, HumanMessage, TrackAction, TrackConversation } from 'agentsight-otel';
import { expect } from 'chai';
import { postJson } from '../helpers/processes';
import { TEST_API_KEY, transcriptOf, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

/*
 * A real NestJS application over HTTP, with its Express and its Fastify adapter: our decorators
 * beside Nest's own (`@Post`, `@Sse`, `@UseGuards`, `@Body`), written above and below them, with
 * dependency injection. NestJS 12 is an ES module: the app's classes are declared once it is
 * imported (decorators are expressions, evaluated where the class is).
 */

type Nest = typeof import('@nestjs/common');

/** The chat app, declared with Nest's decorators and ours in both orders. */
async function chatModule(nest: Nest) {
  const { Body, Controller, Injectable, Module, Post, Sse, UseGuards } = nest;
  const { Observable } = await import('rxjs');

  @Injectable()
  class Calculator {
    @TrackAction({ name: 'calculator' })
    multiply(a: number, b: number): number {
      return a * b;
    }
  }

  /** Lets a request through only with `x-allow: yes`: the guard must run whatever the decorator order. */
  class AllowGuard {
    canActivate(context: { switchToHttp(): { getRequest(): { headers: Record<string, string> } } }): boolean {
      return context.switchToHttp().getRequest().headers['x-allow'] === 'yes';
    }
  }

  type Ask = { conversationId: string; message: string };

  @Controller('chat')
  class ChatController {
    constructor(private readonly calculator: Calculator) {}

    // Ours above Nest's: Nest's decorators run first and put the route on the original function.
    @TrackConversation({
      conversationId: (ask: Ask) => ask.conversationId,
      humanMessage: (ask: Ask) => ask.message,
      agentMessage: (reply: { answer: string }) => reply.answer,
    })
    @Post('above')
    @UseGuards(AllowGuard)
    async above(@Body() ask: Ask): Promise<{ answer: string }> {
      return { answer: `${ask.message} = ${this.calculator.multiply(6, 7)}` };
    }

    // Ours below Nest's: Nest's decorators run last, on the traced function.
    @Post('below')
    @UseGuards(AllowGuard)
    @TrackConversation({ agentMessage: (reply: { answer: string }) => reply.answer })
    async below(
      @Body('conversationId') @ConversationId() _id: string,
      @Body('message') @HumanMessage() message: string,
    ) {
      return { answer: `${message} = ${this.calculator.multiply(2, 21)}` };
    }

    @Sse('stream')
    @TrackConversation({ conversationId: 'nest-sse', humanMessage: () => 'Stream it' })
    stream() {
      return new Observable<{ data: string }>((subscriber) => {
        for (const word of ['Streamed', ' over', ' SSE']) subscriber.next({ data: word });
        subscriber.complete();
      });
    }
  }

  @Module({ controllers: [ChatController], providers: [Calculator] })
  class ChatModule {}
  return ChatModule;
}

for (const adapter of ['express', 'fastify'] as const) {
  describe(`NestJS (${adapter} adapter) with our decorators in either order`, function () {
    this.timeout(30_000);
    const receiver = useReceiver({ apiKey: TEST_API_KEY });
    let sdk: NodeSDK | undefined;
    let processor: AgentSightSpanProcessor;
    let app: {
      listen(port: number, host: string): Promise<unknown>;
      getUrl(): Promise<string>;
      close(): Promise<void>;
    };
    let url: string;

    before(async () => {
      processor = new AgentSightSpanProcessor({
        apiKey: TEST_API_KEY,
        endpoint: receiver().url,
        deliveryThread: false,
      });
      sdk = startSdk({ spanProcessors: [processor] });
      const nest = await import('@nestjs/common');
      const { NestFactory } = await import('@nestjs/core');
      const module = await chatModule(nest);
      if (adapter === 'fastify') {
        const { FastifyAdapter } = await import('@nestjs/platform-fastify');
        app = await NestFactory.create(module, new FastifyAdapter(), { logger: false });
      } else {
        app = await NestFactory.create(module, { logger: false });
      }
      await app.listen(0, '127.0.0.1');
      url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    });
    after(async () => {
      await app?.close();
      await stopSdk(sdk);
    });

    const post = (path: string, body: object, allow = true) =>
      postJson(`${url}/chat/${path}`, body, allow ? { 'x-allow': 'yes' } : {});

    it('keeps the route, the guard, DI and the parameter decorators, and tracks each turn, in both orders', async () => {
      for (const path of ['above', 'below']) {
        const conversationId = `nest-${adapter}-${path}`;
        const refused = await post(path, { conversationId, message: 'nope' }, false);
        expect(refused.status, `${path}: the guard ran`).to.equal(403);
        const answered = await post(path, { conversationId, message: 'What is it?' });
        expect(answered.status, path).to.equal(201);
        expect(answered.body).to.deep.equal({ answer: 'What is it? = 42' });
      }
      await processor.forceFlush();
      expect(transcriptOf(receiver(), `nest-${adapter}-above`)).to.deep.equal([
        'end_user: What is it?',
        'action calculator → 42',
        'agent: What is it? = 42',
      ]);
      expect(transcriptOf(receiver(), `nest-${adapter}-below`)).to.deep.equal([
        'end_user: What is it?',
        'action calculator → 42',
        'agent: What is it? = 42',
      ]);
      // A refused request never reached the method: no turn was tracked for it.
      expect(receiver().store.records.filter((r) => String(r.body.content ?? '') === 'nope')).to.deep.equal([]);
    });

    it('an @Sse route returning an Observable streams as before, and its streamed answer is the agent message', async () => {
      const response = await fetch(`${url}/chat/stream`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/text\/event-stream/);
      const body = await response.text();
      expect(body.match(/^data: .*$/gm)).to.deep.equal(['data: Streamed', 'data:  over', 'data:  SSE']);
      await processor.forceFlush();
      expect(transcriptOf(receiver(), 'nest-sse')).to.deep.equal(['end_user: Stream it', 'agent: Streamed over SSE']);
    });
  });
}
