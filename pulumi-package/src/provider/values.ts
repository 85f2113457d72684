/**
 * Property values as the engine sends them over the wire (a protobuf Struct turned into
 * JavaScript): secrets are objects tagged with Pulumi's signature key, unknown values are a
 * sentinel string. The provider unwraps secrets before it uses a value, wraps its secret
 * outputs, and never calls the API with an unknown.
 */
export const SIG_KEY = '4dabf18193072939515e22adb298388d';
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
export const UNKNOWN = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

export type Props = Record<string, unknown>;

/**
 * An output key (not a catalog property, ignored by the SDK) listing the write-only inputs an
 * import could not read back, so Diff does not plan the program's value as a change to them.
 */
export const UNREAD_WRITE_ONLY = '__unreadWriteOnly';

export function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === 'object' && v !== null && (v as Props)[SIG_KEY] === SECRET_SIG;
}

export function secret(value: unknown): unknown {
  if (value === undefined || value === null || isSecretValue(value)) return value;
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** The value with every secret wrapper removed, at any depth. */
export function reveal(v: unknown): unknown {
  if (isSecretValue(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map(reveal);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}

/** True when the value, or anything inside it, is not known yet (a preview). */
export function hasUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (isSecretValue(v)) return hasUnknown(v.value);
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasUnknown);
  return false;
}

/** True when the value, or anything inside it, is a secret. */
export function hasSecret(v: unknown): boolean {
  if (isSecretValue(v)) return true;
  if (Array.isArray(v)) return v.some(hasSecret);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasSecret);
  return false;
}

/**
 * Top-level property names whose values hold a secret anywhere (a list element, a map value, a
 * nested field): the API answers with plain values, so their outputs are wrapped as a whole.
 */
export function secretKeys(props: Props): Set<string> {
  return new Set(Object.entries(props).filter(([, v]) => hasSecret(v)).map(([k]) => k));
}
