import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the proxy forwarded: method, path with query, and body. */
export interface ProxiedRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

/**
 * An HTTP proxy in front of a real server that can lose an answer: the request reaches the
 * server and is handled there, but the client's connection is closed instead of answered (what a
 * timeout under load looks like from the client). When the server is down, the client's
 * connection is closed too, as if it had been refused.
 */
export class LossyProxy {
  readonly requests: ProxiedRequest[] = [];
  private server?: Server;
  private dropPath: string | null = null;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      void readBody(req).then((body) => {
        const path = req.url ?? '/';
        this.requests.push({ method: req.method ?? 'GET', path, body });
        const upstream = httpRequest(`${this.target}${path}`, { method: req.method, headers: { ...req.headers, host: new URL(this.target).host } }, (answer) => {
          void readBody(answer).then((answerBody) => {
            if (this.dropPath !== null && path.startsWith(this.dropPath)) {
              this.dropPath = null;
              req.socket.destroy();
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers).end(answerBody);
          });
        });
        upstream.on('error', () => req.socket.destroy());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** The next request whose path starts with `path` is handled by the server, and its answer lost. */
  dropNextAnswer(path: string): void {
    this.dropPath = path;
  }

  /** The forwarded requests to `path` (without query) whose JSON body or query names `runId`. */
  requestsFor(path: string, runId: string): ProxiedRequest[] {
    return this.requests.filter((r) => r.path.split('?')[0] === path && (r.body.includes(`"${runId}"`) || r.path.includes(`run_id=${runId}`)));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function readBody(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
