// Apart from dashboard-static.ts (which loads the dashboard builder and Hono) so that serve can
// name the dashboard's URL in its first log line without loading either before it listens.

/** Where the registry dashboard is served. */
export const DASHBOARD_PREFIX = '/dashboard';
