/**
 * The Hono app: the only front door. Routes are declared with @hono/zod-openapi so the OpenAPI
 * document is generated from the code. Every response carries X-Request-Id; errors are problem+json.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Config } from '../config.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/open.ts';
import { uuidv7 } from '../store/uuid.ts';
import { registerHealth } from './health.ts';
import { errorHandler, problem, problemResponse } from './problem.ts';

export interface AppDeps {
  config: Config;
  store: Store;
  lifecycle: Lifecycle;
  log: Logger;
}

export type AppEnv = { Variables: { requestId: string } };

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const errors = result.error.issues.map((i) => ({ pointer: `/${i.path.map(String).join('/')}`, message: i.message }));
        return problemResponse(c, problem(422, 'validation_failed', 'the request is invalid', errors));
      }
    },
  });
  app.use('*', async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : uuidv7();
    c.set('requestId', requestId);
    await next();
    c.header('X-Request-Id', requestId);
  });
  app.onError(errorHandler(deps.log));
  app.notFound((c) => problemResponse(c, problem(404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`)));
  registerHealth(app, deps);
  app.doc31('/openapi.json', openApiInfo);
  return app;
}

export const openApiInfo = {
  openapi: '3.1.0',
  info: { title: 'Weir', version: '0.1.0', description: 'Durable Serverless Workflow (DSL 1.0) service on Postgres.' },
} as const;
