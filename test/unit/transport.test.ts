import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createHttpTransport, TransportError } from '#internal/api/transport';

/**
 * The transport's own promises, against a real server over loopback: each settles by its deadline
 * (one timer watches them all), the queued ones too, and a body is bounded however it comes.
 */
describe('the HTTP transport', () => {
  let server: Server;
  let base: URL;
  let handle: (request: IncomingMessage, response: ServerResponse) => void;
  const held: ServerResponse[] = [];

  before(async () => {
    server = createServer((request, response) => handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api`);
  });
  afterEach(() => {
    for (const response of held.splice(0)) response.destroy();
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const failureOf = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('resolved'),
      (error: unknown) => error as TransportError,
    );

  it('answers with status, headers and text, the path joined to the base', async () => {
    handle = (request, response) => {
      request.resume();
      response.writeHead(201, { 'content-type': 'application/json', 'x-seen': request.url ?? '' });
      response.end('{"id":7}');
    };
    const transport = createHttpTransport(base, { authorization: 'Api-Key k' }, 2);
    const answer = await transport.post('/track/', '{}', {}, 1_000);
    await transport.close();
    expect(answer).to.deep.include({ status: 201, text: '{"id":7}' });
    expect(answer.headers['x-seen']).to.equal('/api/track/');
  });

  it('fails every request of a hung API by its deadline, those still waiting for a connection too', async () => {
    handle = (request, response) => {
      request.resume();
      held.push(response);
    };
    const transport = createHttpTransport(base, {}, 1);
    const started = Date.now();
    // One connection: the second and third wait in the pool behind the first.
    const failures = await Promise.all([0, 1, 2].map(() => failureOf(transport.post('/x/', '{}', {}, 300))));
    const took = Date.now() - started;
    await transport.close();
    expect(failures.map((f) => f.code)).to.deep.equal(['REQUEST_TIMEOUT', 'REQUEST_TIMEOUT', 'REQUEST_TIMEOUT']);
    expect(failures.every((f) => f instanceof TransportError)).to.equal(true);
    // A safety limit: the deadline (300 ms) plus one tick of the watch, with room for a loaded machine.
    expect(took).to.be.lessThan(2_000);
    expect(held.length, 'requests that reached the server').to.equal(1);
  });

  it('refuses a body over its limit however it comes: declared, chunked, or a lying length', async () => {
    const bodies = {
      declared: (response: ServerResponse) => {
        response.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
        response.write(Buffer.alloc(1024));
        held.push(response);
      },
      chunked: (response: ServerResponse) => {
        response.writeHead(200);
        for (let i = 0; i < 40; i++) response.write(Buffer.alloc(1024, 'x'));
        held.push(response);
      },
    };
    for (const [kind, answer] of Object.entries(bodies)) {
      handle = (request, response) => {
        request.resume();
        answer(response);
      };
      const transport = createHttpTransport(base, {}, 1, 16 * 1024);
      const failure = await failureOf(transport.post('/x/', '{}', {}, 5_000));
      await transport.close();
      expect(failure.code, kind).to.equal('ANSWER_TOO_LARGE');
      expect(failure.status, kind).to.equal(200);
    }
  });

  it('rejects with the connection error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const transport = createHttpTransport(new URL(`http://127.0.0.1:${port}`), {}, 1);
    const failure = await failureOf(transport.post('/x/', '{}', {}, 1_000));
    await transport.close();
    expect(failure.code).to.equal('ECONNREFUSED');
  });
});
