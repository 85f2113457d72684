import type express from 'express';
import type { AppContext } from '../context.js';
import type { ApiRouter } from '../http/router.js';

/**
 * A feature of the control plane. The core knows modules only through this interface, so a
 * new resource is a new module (and a migration), not an edit to the core.
 */
export interface Module {
  name: string;
  /** API routes under the shared rules (auth, validation, transactions, events). */
  routes?(r: ApiRouter, app: AppContext): void;
  /** Routes with rules of their own (e.g. SCIM), mounted before the API router. */
  mount?(server: express.Express, app: AppContext): void;
  /** Started with the server (background workers); returns a stopper. */
  start?(app: AppContext): Promise<() => Promise<void>>;
}
