import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedBar {
  readonly date: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/**
 * A real HTTP server that plays a market-data provider from recorded bars: JSON under
 * /json/{symbol}?start&end, CSV under /csv/{symbol}?from&to, and scripted failures
 * (429, 503, a hang) to exercise retries and timeouts. It records every request.
 */
export class RecordedProviderServer {
  readonly requests: string[] = [];
  /** Responses to give, in order, before the real one, per path prefix: e.g. [429, 503]. */
  readonly failuresBefore = new Map<string, number[]>();
  private server?: Server;

  constructor(private readonly bars: ReadonlyMap<string, readonly RecordedBar[]>) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${url.pathname}${url.search}`);
    const [, kind, symbol] = url.pathname.split('/');
    if (kind === 'hang') return; // never answers: the client must time out
    const scripted = this.failuresBefore.get(`/${kind}/${symbol}`);
    if (scripted && scripted.length > 0) {
      const status = scripted.shift()!;
      res.writeHead(status, status === 429 ? { 'retry-after': '0' } : {}).end('try later');
      return;
    }
    const bars = this.bars.get(decodeURIComponent(symbol ?? ''));
    if (!bars) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"unknown symbol"}');
      return;
    }
    const from = url.searchParams.get('start') ?? url.searchParams.get('from') ?? '0000';
    const to = url.searchParams.get('end') ?? url.searchParams.get('to') ?? '9999';
    const window = bars.filter((b) => b.date >= from && b.date <= to);
    if (kind === 'json') {
      const body = { symbol, bars: window.map((b) => ({ t: b.date, o: b.open, h: b.high, l: b.low, c: b.close, v: b.volume })) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    } else {
      const lines = ['Date,High,Low,Open,Close,Volume,Adj Close', ...window.map((b) => [b.date, b.high, b.low, b.open, b.close, b.volume, b.close].join(','))];
      res.writeHead(200, { 'content-type': 'text/csv' }).end(`${lines.join('\n')}\n`);
    }
  }
}
