import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Claresia-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">[,v1=...]`. The
 * timestamp is inside the signed text, so a receiver that refuses old timestamps refuses replays
 * too. One `v1` per signing secret, the current one first: during a rotation's overlap the
 * header carries the new and the previous secret's signatures, and a receiver accepts the
 * delivery when any `v1` matches the secret it holds.
 */
export function signatureHeader(secrets: string | readonly string[], body: string, unixSeconds: number): string {
  const macs = (typeof secrets === 'string' ? [secrets] : secrets).map((s) => `v1=${createHmac('sha256', s).update(`${unixSeconds}.${body}`).digest('hex')}`);
  return [`t=${unixSeconds}`, ...macs].join(',');
}

/**
 * A receiver's check (used by tests and documented for customers): a `v1` made with `secret`
 * over this body and timestamp, and the timestamp not older than `toleranceSeconds`. Other
 * `v1` values (another secret's, during a rotation) and unknown schemes are skipped.
 */
export function verifySignature(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const pairs = header.split(',').map((kv) => {
    const at = kv.indexOf('=');
    return at < 0 ? ['', ''] : [kv.slice(0, at).trim(), kv.slice(at + 1).trim()];
  });
  const times = pairs.filter(([k]) => k === 't');
  const t = times.length === 1 && /^\d+$/.test(times[0]![1]!) ? Number(times[0]![1]) : NaN;
  if (!Number.isSafeInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return pairs.some(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v!) && timingSafeEqual(expected, Buffer.from(v!, 'hex')));
}
