/**
 * Logs for Terraform's plugin log: one JSON object per line on stderr, in the field names
 * go-plugin understands (@level, @message, @timestamp). stdout belongs to the handshake.
 * Callers pass ids and names, never credentials.
 */
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

function threshold(): number {
  const raw = (process.env.TF_LOG_PROVIDER ?? process.env.TF_LOG ?? 'info').toLowerCase();
  const i = LEVELS.indexOf(raw as Level);
  return i < 0 ? 2 : i;
}

const min = threshold();

/** Whether a record of this level would be written (to skip building one that would not). */
export function logs(level: Level): boolean {
  return LEVELS.indexOf(level) >= min;
}

/**
 * go-plugin reads a line as a log record only when @timestamp has exactly six fractional digits
 * (Go layout 2006-01-02T15:04:05.000000Z07:00); any other line it passes on raw at DEBUG, so
 * Terraform's log would drop every record below TF_LOG_PROVIDER=DEBUG.
 */
function timestamp(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
  if (LEVELS.indexOf(level) < min) return;
  process.stderr.write(JSON.stringify({ '@level': level, '@message': message, '@module': 'claresia', '@timestamp': timestamp(), ...fields }) + '\n');
}
