// The Koa application: metrics and CORS for configured origins, security headers, the one error middleware, JSON
// bodies, then the routers it is given and the web page; and listening on the shared http.Server.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Router } from '@koa/router';
import Koa from 'koa';
import type { Config } from '../config';
import { createLogger } from '../log';
import { errorsTotal, httpRequestDuration } from '../metrics';
import { jsonBody } from './body';
import { desktopUpdates } from './desktop-updates/router';
import { errorMiddleware } from './errors';
import { securityHeaders, webPage } from './web/static';

const log = createLogger('http');

export function createHttpApp(
  config: Pick<
    Config,
    'trustProxy' | 'allowedOrigins' | 'maxHttpBodyBytes' | 'webDistDir' | 'desktopUpdatesDir'
  >,
  routers: Router[],
  /** Routers that read their request body themselves (streamed uploads): they run before the JSON body reader. */
  rawBodyRouters: Router[] = [],
): Koa {
  const app = new Koa({ proxy: config.trustProxy });
  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    // CORS only for configured extra origins (e.g. the desktop renderer); the own origin needs none.
    const origin = ctx.get('origin');
    if (origin && config.allowedOrigins.includes(origin) && ctx.path.startsWith('/api/')) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Vary', 'Origin');
      ctx.set('Access-Control-Allow-Credentials', 'true');
      if (ctx.method === 'OPTIONS') {
        ctx.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
        ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Filename');
        ctx.set('Access-Control-Max-Age', '600');
        ctx.status = 204;
        return;
      }
    }
    try {
      await next();
    } finally {
      const route =
        (ctx as unknown as { _matchedRoute?: string })._matchedRoute ??
        (ctx.path.startsWith('/api') ? 'api-other' : 'static');
      httpRequestDuration.observe(
        { method: ctx.method, route: String(route), status: String(ctx.status) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  });
  app.use(securityHeaders);
  app.use(errorMiddleware);
  app.on('apiError', (err: { code: string }) => errorsTotal.inc({ source: 'http', code: err.code }));
  // Errors after the answer started (a client that went away mid-upload or mid-download): logged, not printed.
  app.on('error', (err: NodeJS.ErrnoException, ctx?: { path?: string; req?: { destroyed?: boolean } }) => {
    const gone =
      ctx?.req?.destroyed || err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE';
    if (gone) log.debug({ path: ctx?.path, code: err.code }, 'client went away');
    else log.warn({ err, path: ctx?.path }, 'response failed');
  });
  for (const router of rawBodyRouters) app.use(router.routes());
  app.use(jsonBody(config.maxHttpBodyBytes));
  for (const router of routers) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(desktopUpdates(config.desktopUpdatesDir));
  app.use(webPage(config.webDistDir));
  return app;
}

/** Listens on config.host:port; answers the base URL, e.g. http://127.0.0.1:3000 */
export function listen(httpServer: http.Server, config: Pick<Config, 'host' | 'port'>): Promise<string> {
  return new Promise((resolve, reject) => {
    httpServer.once('error', reject);
    // A reconnect storm of thousands overflows Node's default accept backlog (511): dropped SYNs wait for
    // TCP's 1-2-4 s retries. 4096 (capped by the kernel's somaxconn) took 100% back 16 -> 13 s for 5k clients.
    httpServer.listen({ port: config.port, host: config.host, backlog: 4096 }, () => {
      httpServer.off('error', reject);
      const { port } = httpServer.address() as AddressInfo;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      resolve(`http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`);
    });
  });
}
