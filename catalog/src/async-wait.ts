/**
 * When the IaC tools wait for an asynchronous resource, and what its failure is about. Both
 * tools ask these, so that Terraform and Pulumi wait (and fail) on the same changes.
 */
import type { ResourceDef } from './types.js';

/**
 * Whether an update that changes `changed` (input names) waits for the object to be ready.
 * Create always waits. Without `updateWaitsOn` every update does; with it, only one that
 * changes one of those inputs, since nothing else can change the status.
 */
export function updateWaits(def: ResourceDef, changed: Iterable<string>): boolean {
  const a = def.async;
  if (!a) return false;
  if (!a.updateWaitsOn) return true;
  for (const name of changed) if (a.updateWaitsOn.includes(name)) return true;
  return false;
}

/** The catalog's inconclusiveReasons entry a reason begins with, if any. */
function inconclusiveEntry(def: ResourceDef, reason: string): { prefix: string; input: string } | undefined {
  return def.async?.inconclusiveReasons?.find((r) => reason.startsWith(r.prefix));
}

/**
 * The input a failure reason is about: the input of the catalog's `inconclusiveReasons` entry
 * it begins with, else `reasonInputs` by the reason's leading code, else an input the reason
 * names (longest names first, so that a name inside another one cannot win). Undefined when it
 * names none.
 */
export function reasonInput(def: ResourceDef, reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  const entry = inconclusiveEntry(def, reason);
  if (entry) return entry.input;
  const code = /^([a-z][a-z0-9_]*):/.exec(reason)?.[1];
  const byCode = code ? def.async?.reasonInputs?.[code] : undefined;
  if (byCode) return byCode;
  const inputs = Object.entries(def.attributes)
    .filter(([, attr]) => attr.mode !== 'computed')
    .map(([n]) => n)
    .sort((x, y) => y.length - x.length);
  return inputs.find((n) => new RegExp(`\\b${n}\\b`).test(reason));
}

/**
 * The reason a pending object gives for being held up by something no wait can hurry (see
 * AsyncStatus.inconclusiveReasonPrefix and inconclusiveReasons), or undefined when a wait
 * should go on.
 */
export function inconclusiveReason(def: ResourceDef, api: Record<string, unknown>): string | undefined {
  const a = def.async;
  if (!a?.reasonAttribute || !a.pending.includes(String(api[a.attribute]))) return undefined;
  const reason = api[a.reasonAttribute];
  if (typeof reason !== 'string') return undefined;
  if (a.inconclusiveReasonPrefix && reason.startsWith(a.inconclusiveReasonPrefix)) return reason;
  return inconclusiveEntry(def, reason) ? reason : undefined;
}
