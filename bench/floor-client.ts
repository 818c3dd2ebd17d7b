/**
 * The least a Node process can spend on an HTTP request, for `npm run bench -- turn-cpu`: HTTP/1.1
 * written by hand on kept-alive `net` sockets, each request one write of a prebuilt head and its
 * body, each answer parsed only as far as its length (Content-Length or chunked). No header
 * validation, no timeouts, no bounds, no error handling beyond failing: a measuring stick for
 * the floor of the protocol (one request per item), never a client to deliver with.
 */
import { connect, type Socket } from 'node:net';

interface Connection {
  readonly socket: Socket;
  received: Buffer;
  answer: ((body: string) => void) | undefined;
}

/** Where the answer held in `data` ends (the index after it), or -1 while it is incomplete. */
function answerEnd(data: Buffer): number {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return -1;
  const head = data.subarray(0, headEnd).toString('latin1').toLowerCase();
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length) {
    const end = headEnd + 4 + Number(length[1]);
    return data.length >= end ? end : -1;
  }
  // Chunked: sizes in hex, each chunk followed by CRLF, a zero-size chunk ends the body.
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return -1;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return data.length >= lineEnd + 4 ? lineEnd + 4 : -1;
    at = lineEnd + 2 + size + 2;
    if (at > data.length) return -1;
  }
}

/** A pool of kept-alive sockets to `origin`, each carrying one request at a time. */
export class FloorClient {
  private readonly idle: Connection[] = [];
  private readonly host: string;
  private readonly port: number;

  constructor(
    origin: string,
    private readonly fixedHead: string,
  ) {
    const url = new URL(origin);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  /** POSTs a JSON body and resolves with the answer's raw text (head and body). */
  async post(path: string, body: string): Promise<string> {
    const connection = this.idle.pop() ?? (await this.open());
    return new Promise((resolve) => {
      connection.answer = (text) => {
        this.idle.push(connection);
        resolve(text);
      };
      const bytes = Buffer.byteLength(body);
      connection.socket.write(`POST ${path} HTTP/1.1\r\n${this.fixedHead}content-length: ${bytes}\r\n\r\n${body}`);
    });
  }

  close(): void {
    for (const connection of this.idle.splice(0)) connection.socket.destroy();
  }

  private open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, this.host);
      const connection: Connection = { socket, received: Buffer.alloc(0), answer: undefined };
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => {
        connection.received = connection.received.length === 0 ? chunk : Buffer.concat([connection.received, chunk]);
        const end = answerEnd(connection.received);
        if (end < 0) return;
        const text = connection.received.subarray(0, end).toString();
        connection.received = connection.received.subarray(end);
        const answer = connection.answer;
        connection.answer = undefined;
        answer?.(text);
      });
      socket.once('connect', () => resolve(connection));
      socket.once('error', reject);
    });
  }
}
