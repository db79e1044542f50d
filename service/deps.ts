import { OpenAPIHono } from '@hono/zod-openapi';
import type { ZodError } from 'zod';
import { ApiError, zodIssues } from './errors.js';
import { expectedRowShape, type InferenceDeps } from './inference.js';
import type { ModelFreshness } from './lifecycle.js';
import type { Logger } from './log.js';
import type { RequestTimingVariables } from './middleware/request-metrics.js';
import type { ModelHolder, ServedModel } from './served-model.js';

/** Everything the routes share; built once by createApp. */
export interface AppDeps extends InferenceDeps {
  holder: ModelHolder;
  logger: Logger;
  maxBatchRows: number;
  /** True while shutting down: readiness fails so load balancers stop sending traffic. */
  isDraining: () => boolean;
  /** The service's own version (package version), read once. */
  serverVersion: string;
  /**
   * Another name the OIP routes answer to (KServe's `MODEL_NAME`), besides the model's own. OIP
   * responses name the model as the request's URL did.
   */
  modelAlias?: string;
  /** Registry mode: served vs production version, for /ready's body; null in file mode. */
  modelFreshness?: () => ModelFreshness | null;
}

/** Hono environment of every route module. */
export interface AppEnv {
  Variables: RequestTimingVariables;
}

/**
 * Validation failures from the zod schemas become a 422 naming each field, with the accepted
 * shape and, when features are involved, the names the loaded model expects.
 */
export function validationHook(deps: AppDeps) {
  return (result: { success: boolean; error?: ZodError; target: string }): undefined => {
    if (result.success || !result.error) return undefined;
    const issues = zodIssues(result.error.issues);
    const model = deps.holder.current;
    const aboutRows = issues.some((i) => /^(features|instances|inputs)\b/.test(i.field));
    throw new ApiError(
      422,
      `Invalid request ${result.target === 'json' ? 'body' : result.target}`,
      {
        issues,
        ...(aboutRows
          ? {
              expected: expectedRowShape(model),
              ...(model ? { expectedFeatures: model.artifact.features } : {}),
            }
          : {}),
      },
    );
  };
}

/** A route module: an OpenAPIHono sub-app whose validation errors use the shared hook. */
export function createRouter(deps: AppDeps): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook(deps) });
}

/** The model for this request, captured once; 503 while none is loaded. */
export function currentModel(deps: AppDeps): ServedModel {
  const model = deps.holder.current;
  if (!model) {
    throw new ApiError(503, 'No model loaded', {
      issues: [{ field: 'model', message: 'the service has no verified model yet' }],
    });
  }
  return model;
}
