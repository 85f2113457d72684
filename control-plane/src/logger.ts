import pino, { type Logger } from 'pino';

/**
 * Paths that may hold a secret wherever they appear in a logged object. Handlers never log
 * request bodies; this is the second line of defence.
 */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'client_secret',
  '*.client_secret',
  'bearer_token',
  '*.bearer_token',
  'credential',
  '*.credential',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'password',
  '*.password',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, base: { service: 'claresia-control-plane' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destination);
}
