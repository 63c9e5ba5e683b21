import type { Express } from 'express';

/** One route the app answers: an upper-case method and an Express path pattern ("/api/contacts/:reference"). */
export interface RouteEntry {
  method: string;
  path: string;
}

interface LayerLike {
  route?: { path: string; methods?: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  /** The path a router was mounted at (router 2.x keeps it; '/' for none). */
  rawPath?: unknown;
}

/**
 * Every route of the app, read from its routers' stacks (so a route added
 * anywhere appears here with no list to keep up to date), including routers
 * mounted under a prefix such as /api. Security tests use it to insist that
 * each route has a planned set of roles.
 */
export function listRoutes(app: Express): RouteEntry[] {
  const routes: RouteEntry[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods ?? {}))
          if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: prefix + layer.route.path });
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app.router as unknown as { stack: LayerLike[] }).stack, '');
  const seen = new Set<string>();
  return routes.filter((r) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
