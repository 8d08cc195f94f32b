import type { FastifyInstance } from 'fastify';

/** Adds routes to the gateway's fastify instance; runs once, before the server listens. */
export type RoutePlugin = (app: FastifyInstance) => void | Promise<void>;

/**
 * Routes that services contribute to the one HTTP server. Services started before the HTTP service
 * add theirs during start(); the HTTP service registers them all and then listens, so no request can
 * reach a route that is not there yet.
 */
export class HttpRoutes {
  private readonly plugins: { owner: string; plugin: RoutePlugin }[] = [];
  private sealed = false;

  add(owner: string, plugin: RoutePlugin): void {
    if (this.sealed) throw new Error(`${owner}: HTTP routes must be added before the HTTP server starts (list the service before "http" in gateway/services/registry.ts)`);
    this.plugins.push({ owner, plugin });
  }

  /** Called by the HTTP service; later additions are refused. */
  take(): readonly { owner: string; plugin: RoutePlugin }[] {
    this.sealed = true;
    return this.plugins;
  }
}
