// Request-size defaults, shared by the app (service/app.ts) and the flag parser
// (service/options.ts) without the parser importing the app: `serve`'s start path and a cluster
// primary read the flags long before (or without ever) building an app.

/** Rows allowed per /predict/batch or OIP request. */
export const DEFAULT_MAX_BATCH_ROWS = 1000;
/** Request body limit in bytes. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
