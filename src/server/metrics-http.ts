/**
 * The HTTP listener of `metrics-port` (off by default), on the `bind`
 * addresses: `/metrics` in Prometheus's text format (./metrics.ts), and a
 * live dashboard (`/`, its script and uPlot from the package, no CDN) fed by
 * server-sent events once a second (`/events`). Read-only: no route changes
 * anything. With `requirepass` set every route needs it, as HTTP basic auth
 * (any user name) or `Authorization: Bearer <password>`, compared in
 * constant time. docs/OPERATIONS.md, "Metrics and dashboard".
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.js';
import type { Logger } from './logger.js';
import { Metrics, type MetricsSource } from './metrics.js';

/** What the listener needs of the server: what the metrics read, its settings and its logger. */
export interface HttpHost extends MetricsSource {
  readonly config: Config;
  readonly log: Logger;
}

/**
 * The page and its script, from the package's static/ folder: the nearest static/dashboard above this module
 * (dist/src/server/http.js, or dist/bundle/, where the `flashcache` bin runs from one file).
 */
const STATIC_DIR = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'static', 'dashboard');
    if (existsSync(candidate) || dirname(dir) === dir) return candidate;
    dir = dirname(dir);
  }
})();
const require = createRequire(import.meta.url);

/** Files served as they are: path → [file, content type]. */
const FILES: Record<string, [() => string, string]> = {
  '/': [() => join(STATIC_DIR, 'index.html'), 'text/html; charset=utf-8'],
  '/app.js': [() => join(STATIC_DIR, 'app.js'), 'text/javascript; charset=utf-8'],
  '/uPlot.iife.min.js': [() => require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  '/uPlot.min.css': [() => require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
};

const digest = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();

/** Whether `req` carries `password` (basic auth with any user, or a bearer token), compared in constant time. */
export function authorized(req: IncomingMessage, password: string): boolean {
  if (password === '') return true;
  const h = req.headers.authorization ?? '';
  let given: Buffer | null = null;
  if (h.startsWith('Bearer ')) given = Buffer.from(h.slice(7));
  else if (h.startsWith('Basic ')) {
    const text = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i >= 0) given = Buffer.from(text.slice(i + 1));
  }
  return given !== null && timingSafeEqual(digest(given), digest(password));
}

/** The running listener (./http.ts loads this module and makes it when `metrics-port` is set). */
export class MetricsHttp {
  private readonly servers: Server[] = [];
  private readonly streams = new Set<ServerResponse>();
  private ticker: NodeJS.Timeout | null = null;
  /** The metrics `/metrics` serves. */
  readonly metrics: Metrics;

  constructor(private readonly host: HttpHost) {
    this.metrics = new Metrics(host);
  }

  /**
   * Listens on `metrics-port` at the addresses the server listens on.
   *
   * @param binds the `bind` addresses found usable at start-up (optional `-` ones left out when absent)
   * @throws the listen error (address in use...), which stops start-up
   */
  async listen(binds: readonly string[]): Promise<void> {
    const port = this.host.config.get('metrics-port');
    for (const addr of binds) {
      const s = createServer((req, res) => this.handle(req, res));
      await new Promise<void>((ok, fail) => {
        s.once('error', fail);
        s.listen(port, addr, () => ok());
      });
      this.servers.push(s);
    }
    this.ticker = setInterval(() => this.tick(), 1000);
    this.ticker.unref();
    this.host.log.info({ port: this.port, bind: binds }, `metrics and dashboard on http://${binds[0]}:${this.port}/`);
  }

  /** The port listened on (0 when off). */
  get port(): number {
    const a = this.servers[0]?.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  /** Stops listening and ends the event streams. */
  close(): void {
    if (this.ticker !== null) clearInterval(this.ticker);
    for (const r of this.streams) r.end();
    for (const s of this.servers) s.close();
  }

  private tick(): void {
    if (this.streams.size === 0) return;
    const line = `data: ${JSON.stringify(this.metrics.dashboardSample())}\n\n`;
    for (const r of this.streams) r.write(line);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end('read-only: GET and HEAD only\n');
      return;
    }
    if (!authorized(req, this.host.config.get('requirepass'))) {
      res
        .writeHead(401, { 'www-authenticate': 'Basic realm="FlashCache", charset="UTF-8"' })
        .end('requirepass is set: authenticate with it (basic auth, any user, or a bearer token)\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/metrics') {
      this.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(`${err.message}\n`),
      );
      return;
    }
    if (path === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      res.write(`data: ${JSON.stringify(this.metrics.dashboardSample())}\n\n`);
      this.streams.add(res);
      req.on('close', () => this.streams.delete(res));
      return;
    }
    const file = FILES[path];
    if (file === undefined) {
      res.writeHead(404).end('not found\n');
      return;
    }
    try {
      res.writeHead(200, { 'content-type': file[1] }).end(readFileSync(file[0]()));
    } catch (err) {
      res.writeHead(500).end(`${(err as Error).message}\n`);
    }
  }
}
