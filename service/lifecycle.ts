/**
 * What the Node runtime (service/serve.ts) knows and the app reports: whether the process is
 * draining, and in registry mode whether it serves the registry's production version. The app
 * reads these through the optional {@link RuntimeAppOptions} fields of `createApp`, so it never
 * learns how they are found.
 */

/** Served version against the registry's production version (registry mode only). */
export interface ModelFreshness {
  /** The registry's production version, or null when the registry cannot be read right now. */
  production: number | null;
  /** The version being served (`ServedModel.version`), or null when none is loaded. */
  serving: string | null;
  /** True when `serving` is not `production`, including when production is unknown. */
  stale: boolean;
  /** ISO time since when the service has been stale, or null when it is not. */
  staleSince: string | null;
  /** Why production is not served yet (the last load failure), or null. */
  reason: string | null;
}

/**
 * Options the Node runtime passes to `createApp` beyond today's `AppOptions`. All are optional, so
 * an app that does not know them yet still type-checks and behaves as before.
 */
export interface RuntimeAppOptions {
  /** Readiness fails while this returns true: from SIGTERM until exit. */
  isDraining?: () => boolean;
  /**
   * In registry mode, the served version against the registry's production version; null (or
   * absent) when serving a file. For /ready's body and the `oncoclear_model_stale` gauge.
   */
  modelFreshness?: () => ModelFreshness | null;
  /** A second name the OIP routes answer to (KServe's InferenceService name, `MODEL_NAME`). */
  modelAlias?: string;
}
