import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Service, ServiceContext } from '../service.js';

const WEB = fileURLToPath(new URL('./web/', import.meta.url));

interface Asset {
  type: string;
  body: Buffer;
}

/**
 * Security headers of every console response: scripts and styles only from the gateway itself, no
 * framing (clickjacking), no MIME sniffing, no referrer to other sites.
 */
export const CONSOLE_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * The operator console (web/): its TypeScript is bundled with esbuild when the service starts, into
 * memory, so a fresh clone serves it after `npm ci && npm start` with nothing generated in the
 * repository. Only the three built assets are served, from a fixed table: no path reaches the disk.
 */
export class ConsoleService implements Service {
  readonly name = 'console';
  private assets = new Map<string, Asset>();

  constructor(private readonly ctx: ServiceContext) {}

  async start(): Promise<void> {
    const started = performance.now();
    const js = await build({ entryPoints: [WEB + 'main.ts'], bundle: true, format: 'esm', target: 'es2022', minify: true, write: false, sourcemap: false, logLevel: 'silent' });
    this.assets = new Map([
      ['/', { type: 'text/html; charset=utf-8', body: readFileSync(WEB + 'index.html') }],
      ['/console/app.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(js.outputFiles[0]!.contents) }],
      ['/console/app.css', { type: 'text/css; charset=utf-8', body: readFileSync(WEB + 'app.css') }],
    ]);
    this.ctx.log.debug(`console built in ${Math.round(performance.now() - started)} ms`);
    this.ctx.http.add('console', (app) => {
      for (const [path, asset] of this.assets) {
        app.get(path, (_req, reply) => reply.headers(CONSOLE_HEADERS).type(asset.type).send(asset.body));
      }
      app.get('/console/*', (req, reply) => reply.code(404).headers(CONSOLE_HEADERS).send({ error: `没有该文件 [no such file] ${req.url.split('?')[0]}` }));
    });
  }

  async stop(): Promise<void> {
    this.assets.clear();
  }
}

export function createService(ctx: ServiceContext): Service {
  return new ConsoleService(ctx);
}
