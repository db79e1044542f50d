/** A registered route as Hono lists it in `app.routes`. */
export interface RouteEntry {
  method: string;
  path: string;
}

/** A Hono path pattern (`/v2/models/:name/infer`, `*`) as an anchored regular expression. */
function patternRegex(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * For a path, the methods some route answers it with (HEAD wherever GET is, since Hono answers
 * HEAD from the GET route, and OPTIONS), or an empty list when no route has that path. Middleware
 * (method `ALL`) is not a route. Built once from the finished route table; a 404 or 405 is the
 * only caller, so the hot path never runs it.
 */
export function allowedMethods(routes: readonly RouteEntry[]): (path: string) => string[] {
  const byPattern = new Map<string, { regex: RegExp; methods: Set<string> }>();
  for (const { method, path } of routes) {
    if (method === 'ALL') continue;
    let entry = byPattern.get(path);
    if (!entry) {
      entry = { regex: patternRegex(path), methods: new Set() };
      byPattern.set(path, entry);
    }
    entry.methods.add(method);
    if (method === 'GET') entry.methods.add('HEAD');
  }
  const entries = [...byPattern.values()];
  return (path) => {
    const methods = new Set<string>();
    for (const { regex, methods: m } of entries)
      if (regex.test(path)) for (const method of m) methods.add(method);
    if (!methods.size) return [];
    methods.add('OPTIONS');
    return [...methods].sort();
  };
}
