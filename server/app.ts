import express, { type Express } from 'express';
import { systemClock, type Clock } from './clock.ts';
import type { Db } from './db/database.ts';
import { createServices, type ServiceOptions, type Services } from './services.ts';
import { setUpNoStore, setUpSecurityHeaders } from './middleware/security-headers.ts';
import { setUpAuthentication } from './middleware/authentication.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { healthCheck } from './health.ts';
import { limitNestingDepth } from './middleware/body-shape.ts';
import { NotFoundError } from './errors.ts';
import { openApiDocument } from './openapi.ts';
import { authRoutes } from './auth/auth-controller.ts';
import { experimentRoutes } from '../experiments/experiment/experiment-controller.ts';
import { contactRoutes } from '../experiments/contacts/contact-controller.ts';
import { outcomeRoutes } from '../experiments/outcomes/outcome-controller.ts';
import { setUpDashboard } from '../dashboard/index.ts';

export interface AppOptions {
  db: Db;
  clock?: Clock;
  /** Adds POST /bench/echo, a bare JSON echo used as the ceiling in `npm run bench`. */
  echoRoute?: boolean;
  /** Token and session lifetimes, the sign-in secret, throttle limits. */
  services?: ServiceOptions;
  /**
   * Express's `trust proxy`, for running behind a TLS-terminating proxy or a load
   * balancer (EIU_TRUST_PROXY; see trustProxySetting): cookies get Secure, HSTS is
   * sent, and sign-in throttling sees each client's own address. Default: trust no proxy.
   */
  trustProxy?: string | number | boolean;
}

/**
 * Builds the whole platform over a database: API, pages, errors. No global
 * state, and nothing kept in this process that another instance would need:
 * sessions, API tokens and sign-in counters live in the database. Synchronous:
 * it only builds objects; the first query runs with the first request.
 */
export function createApp({ db, clock = systemClock, echoRoute = false, services: serviceOptions, trustProxy = false }: AppOptions): Express & { locals: { services: Services } } {
  const services = createServices(db, clock, serviceOptions);
  const app = express();
  app.locals.services = services;
  app.disable('x-powered-by');
  if (trustProxy !== false) app.set('trust proxy', trustProxy);
  app.use(setUpSecurityHeaders());
  app.get('/health', healthCheck(db));
  if (echoRoute) app.post('/bench/echo', express.json(), (req, res) => res.json(req.body));

  app.use(express.json({ limit: '5mb' }));
  app.use(limitNestingDepth());
  app.use(setUpAuthentication(services));
  app.use(setUpNoStore());
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  app.use('/api', authRoutes(services), experimentRoutes(services), contactRoutes(services), outcomeRoutes(services));
  app.use('/api', () => {
    throw new NotFoundError('API route');
  });
  const dashboard = setUpDashboard(app, services);
  app.use(errorHandler(dashboard.renderErrorPage, services.audit));
  return app as Express & { locals: { services: Services } };
}
