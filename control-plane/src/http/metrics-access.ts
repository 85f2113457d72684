import type { NextFunction, Request, Response } from 'express';
import { constantTimeEqual } from '../crypto/secrets.js';
import { unauthorized } from './errors.js';

/**
 * Who may scrape /metrics: the holder of CLARESIA_METRICS_TOKEN (a Prometheus given a token that
 * opens nothing else) or the operator. The figures name no tenant, but they show every route's
 * traffic and error rate, the process's memory and its version: an attacker's map of the
 * service, so they are not served to anyone who can reach the API port.
 */
export function metricsAccess(config: { operatorToken: string; metricsToken?: string }) {
  const accepted = [config.metricsToken, config.operatorToken].filter((t): t is string => !!t);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.header('authorization');
    if (!header) return next(unauthorized('/metrics needs "Authorization: Bearer <CLARESIA_METRICS_TOKEN>" (or the operator token)'));
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return next(unauthorized('Authorization header must be "Bearer <token>"'));
    // Every candidate is compared, so the time taken does not say which one came close.
    const matches = accepted.map((t) => constantTimeEqual(m[1]!, t));
    if (!matches.includes(true)) return next(unauthorized('invalid token'));
    next();
  };
}
