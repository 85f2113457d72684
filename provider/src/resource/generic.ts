/**
 * One implementation of a Terraform managed resource, driven entirely by a catalog entry:
 * its paths, its attributes' modes and flags, its import ID format and its async status.
 * A new catalog entry becomes a working `claresia_<name>` with no code here.
 */
import { randomUUID } from 'node:crypto';
import { bothEmpty, defaultOf, inconclusiveReason, isManaged, parseImportId, reasonInput, updateWaits, type ResourceDef } from '@claresia/catalog';
import { BatchReader, ClaresiaApiError, type ClaresiaClient } from '@claresia/client';
import { UNKNOWN, equalValues, isWhollyKnown, type CtyType, type ObjectValue, type Value } from '../values/cty.js';
import { ctyTypeOf, resourceType, TIMEOUTS_ATTRIBUTE, waitArgument, writeOnlyVersions } from '../schema.js';
import { error, fromError, warning, type Diagnostic, type PathStep } from '../diagnostics.js';
import { conflictOverReadBack, ruleDiagnostics, unsafeNumberProblem, validateConfig } from '../validate.js';
import { parseDuration } from '../duration.js';
import { keepPlannedComputed, requestBody, semanticallyEqual, stateFromApi } from './state.js';
import { dropRotated } from './rotated.js';
import { createFailure } from './adopt.js';
import { quirksFor, type ResourceQuirks } from '../resources/index.js';
import { log } from '../plugin/log.js';

export interface Result<T> {
  value: T;
  diagnostics: Diagnostic[];
}

const DEFAULT_TIMEOUT_MS = 20 * 60_000;

function expand(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_m, k: string) => {
    const v = values[k];
    if (v === undefined || v === null || v === UNKNOWN) throw new Error(`no value for {${k}} in ${template}`);
    return encodeURIComponent(String(v));
  });
}

/** Waits between polls; a stop request from Terraform ends the wait at once. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A wait that ended badly. Carries the last answer polled, so the state handed back with the
 * error is the object as it is now, not as the create answered, and the attribute its reason
 * is about, so the diagnostic points at that line.
 */
class WaitError extends Error {
  constructor(
    message: string,
    readonly last: Record<string, unknown> | undefined,
    readonly attribute: string | undefined,
    /** The same, for an object that no longer exists: nothing about where to watch it or how to retest it. */
    readonly once: string = message,
    /** The object reached a failed status: a verdict on its inputs, not a wait cut short. */
    readonly verdict = false,
  ) {
    super(message);
  }
}

/** Path placeholders: the state's attributes, and `{id}` for the resource's id attribute whatever its name. */
function pathValues(def: ResourceDef, state: ObjectValue): Record<string, unknown> {
  return { ...state, id: state[def.idAttribute] };
}

export class GenericResource {
  readonly typeName: string;
  readonly type: { object: Record<string, CtyType> };
  private readonly quirks: ResourceQuirks;
  private batch: BatchReader<Record<string, unknown>> | undefined;
  private batchClient: ClaresiaClient | undefined;

  constructor(readonly def: ResourceDef) {
    this.typeName = `claresia_${def.name}`;
    this.type = resourceType(def);
    this.quirks = quirksFor(def.name);
  }

  validate(config: ObjectValue, writeOnlyAllowed: boolean): Diagnostic[] {
    const diags = [...validateConfig(this.def.attributes, config), ...ruleDiagnostics(this.def, config, { only: (v) => !conflictOverReadBack(this.def, v) })];
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (attr.writeOnly && !writeOnlyAllowed && config[name] !== null && config[name] !== undefined) {
        diags.push(error('Write-only attribute not supported', `${name} is write-only and needs Terraform 1.11 or later.`, [name]));
      }
    }
    for (const v of writeOnlyVersions(this.def)) {
      const n = config[v.version];
      const problem = typeof n === 'number' ? unsafeNumberProblem(n) : undefined;
      if (problem) diags.push(error(`Invalid value for ${v.version}`, `The value ${problem}. A counter or a Unix time in seconds is enough.`, [v.version]));
    }
    const t = config[TIMEOUTS_ATTRIBUTE];
    if (t && t !== UNKNOWN) {
      for (const [op, v] of Object.entries(t as ObjectValue)) {
        if (typeof v === 'string' && parseDuration(v) === undefined) {
          diags.push(error('Invalid duration', `"${v}" is not a duration such as 30s, 20m or 1h.`, [TIMEOUTS_ATTRIBUTE, { key: op }]));
        }
      }
    }
    return diags;
  }

  /** Decides what apply will do. Pure: no API call. */
  plan(prior: ObjectValue | null, proposed: ObjectValue | null, config: ObjectValue | null): { planned: ObjectValue | null; requiresReplace: PathStep[][]; diagnostics: Diagnostic[] } {
    if (proposed === null) return { planned: null, requiresReplace: [], diagnostics: [] };
    const planned: ObjectValue = { ...proposed };
    const requiresReplace: PathStep[][] = [];
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (attr.writeOnly) {
        planned[name] = null;
        continue;
      }
      const configured = config?.[name] ?? null;
      if (prior === null) {
        if (attr.mode === 'computed') planned[name] = UNKNOWN;
        else if (attr.mode === 'optional_computed' && configured === null) planned[name] = (defaultOf(attr, (a) => planned[a]) as Value | undefined) ?? UNKNOWN;
        continue;
      }
      // Update: computed values stay as they are; an optional_computed one the user removed
      // from config goes back to the API's default.
      if (attr.mode === 'computed') planned[name] = prior[name] ?? null;
      else if (attr.mode === 'optional_computed' && configured === null) planned[name] = (defaultOf(attr, (a) => planned[a]) as Value | undefined) ?? prior[name] ?? null;
      else if (attr.normalize && configured !== null && prior[name] != null && isWhollyKnown(configured) && semanticallyEqual(attr, configured, prior[name]!)) {
        // The configured value is one the API stores as the value held (other case, spaces,
        // set order): plan the held value. Terraform accepts the prior value in place of an
        // equivalent configured one, so an import, or a config edit the API would undo, shows
        // no change and sends nothing.
        planned[name] = prior[name]!;
      }
      // Without an update operation every input is fixed for the life of the object.
      const immutable = attr.forceNew || !this.def.api.update;
      // {} to no value (or back) is no change to the object: Terraform still records it (it
      // holds planned values of non-computed attributes to the configuration), in place.
      if (immutable && attr.mode !== 'computed' && !semanticallyEqual(attr, planned[name] ?? null, prior[name] ?? null) && !bothEmpty(attr, planned[name] ?? null, prior[name] ?? null)) {
        requiresReplace.push([name]);
      }
    }
    const diagnostics: Diagnostic[] = config ? this.readBackConflicts(prior, config) : [];
    if (prior !== null) {
      // Said at plan, where the line can be shown, rather than by a failed apply.
      for (const v of writeOnlyVersions(this.def)) {
        const from = prior[v.version] ?? null;
        const to = planned[v.version] ?? null;
        if (from !== to && to !== null && to !== UNKNOWN && (config?.[v.attribute] ?? null) === null) {
          diagnostics.push(error(`${v.attribute} is not set`, `${v.version} changed, which sends a new ${v.attribute}, but the configuration gives ${v.attribute} no value.`, [v.version]));
        }
      }
    }
    if (prior !== null && requiresReplace.length > 0) {
      // Replacement: the new object's computed values are not known yet.
      for (const [name, attr] of Object.entries(this.def.attributes)) if (attr.mode === 'computed') planned[name] = UNKNOWN;
    } else if (prior !== null) {
      // Values the API derives from an input that changes: held values would be stale, and
      // Terraform refuses an apply whose result differs from a known planned value.
      const changed = this.changedInputs(prior, planned, config ?? {});
      for (const [name, attr] of Object.entries(this.def.attributes)) {
        if (!attr.derivedFrom || !attr.derivedFrom.some((d) => changed.has(d))) continue;
        if (attr.mode === 'computed' || (attr.mode === 'optional_computed' && (config?.[name] ?? null) === null)) planned[name] = UNKNOWN;
      }
    }
    return { planned, requiresReplace, diagnostics };
  }

  /**
   * The conflicts validation left to plan (see conflictOverReadBack). A configured value equal
   * to the one in state, while the values it conflicts with are unchanged, is the API's own
   * (an import's generated configuration): it is sent nowhere, as it did not change. Any
   * other value is the user's, and refused as validation would.
   */
  private readBackConflicts(prior: ObjectValue | null, config: ObjectValue): Diagnostic[] {
    const given: ObjectValue = { ...config };
    const same = (name: string) => {
      const attr = this.def.attributes[name];
      return !!attr && !!prior && semanticallyEqual(attr, config[name] ?? null, prior[name] ?? null);
    };
    for (const rule of this.def.rules ?? []) {
      if (rule.kind !== 'conflicts_with' || !rule.with.every(same)) continue;
      for (const a of rule.attributes) if (this.def.attributes[a]?.mode === 'optional_computed' && same(a)) given[a] = null;
    }
    return ruleDiagnostics(this.def, config, { given, only: (v) => conflictOverReadBack(this.def, v) });
  }

  /**
   * Inputs an update sends because they changed. A write-only value is never in state, so it
   * counts as changed only when its `<name>_wo_version` changed: a new value alone (a rotated
   * variable) is not sent along with an unrelated change.
   */
  private changedInputs(prior: ObjectValue, planned: ObjectValue, config: ObjectValue): Set<string> {
    const changed = new Set<string>();
    const versionOf = new Map(writeOnlyVersions(this.def).map((v) => [v.attribute, v.version]));
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (attr.mode === 'computed' || attr.forceNew) continue;
      if (attr.writeOnly) {
        const version = versionOf.get(name)!;
        if ((config[name] ?? null) !== null && (prior[version] ?? null) !== (planned[version] ?? null)) changed.add(name);
        continue;
      }
      const was: Value = prior[name] ?? null;
      const next: Value = planned[name] ?? null;
      if (!equalValues(ctyTypeOf(attr.type), was, next) && !bothEmpty(attr, was, next)) changed.add(name);
    }
    return changed;
  }

  /** A refresh: the object as it is now, null when it is gone, and what Terraform should say about it. */
  async read(client: ClaresiaClient, state: ObjectValue, signal?: AbortSignal): Promise<Result<ObjectValue | null>> {
    const id = state[this.def.idAttribute];
    if (typeof id !== 'string' || id === '') return { value: null, diagnostics: [] };
    const api = await this.fetch(client, state, signal, true);
    if (!api || !isManaged(this.def, api)) return { value: null, diagnostics: [] };
    const next = stateFromApi(this.def, api, state);
    return { value: next, diagnostics: dropRotated(this.def, this.typeName, api, state, next) };
  }

  /**
   * One object from the API, or undefined when it no longer exists. `refresh`: a read of
   * Terraform's refresh pass, where every read describes the same moment and may share one
   * list answer; never for polling, which must see changes.
   */
  private async fetch(client: ClaresiaClient, state: ObjectValue, signal?: AbortSignal, refresh = false): Promise<Record<string, unknown> | undefined> {
    const id = String(state[this.def.idAttribute]);
    const list = this.def.api.list;
    if (refresh && list && !list.path.includes('{')) {
      if (this.batchClient !== client) {
        this.batchClient = client;
        // ReadResource runs once per resource per refresh, all describing one moment: prefetch.
        this.batch = new BatchReader(client, list.path, this.def.idAttribute, { prefetch: true });
      }
      const found = await this.batch!.read(id, signal);
      if (found) return this.quirks.fromReadResponse ? this.quirks.fromReadResponse(found) : found;
      // Absent from a list answer: confirm by id before Terraform forgets the object, so a list
      // that ignored the id filter or paged can never drop a live resource from state.
    }
    const res = await client.request(this.def.api.read.method, expand(this.def.api.read.path, pathValues(this.def, state)), { accept: [404], signal });
    if (res.status === 404) return undefined;
    return this.quirks.fromReadResponse ? this.quirks.fromReadResponse(res.body) : res.body;
  }

  async create(client: ClaresiaClient, planned: ObjectValue, config: ObjectValue, signal?: AbortSignal): Promise<Result<ObjectValue | null>> {
    const diagnostics: Diagnostic[] = [];
    const body = requestBody(this.def, planned, config);
    const op = this.def.api.create;
    // Terraform's stop signal is not handed to the POST: once sent, the server may commit it
    // whatever happens to the connection, and an answer cut off is an object state never
    // records (orphaned, or duplicated by the next apply). The request is already bounded by
    // request_timeout and max_retries; a stop cancels only the wait that follows, which hands
    // the object back tainted.
    let res;
    try {
      res = await client.request(op.method, expand(op.path, pathValues(this.def, planned)), { body, idempotencyKey: randomUUID() });
    } catch (err) {
      // As any failed create, no state; with how to adopt the object a refusal names, if any.
      return { value: null, diagnostics: [createFailure(this.def, this.typeName, err)] };
    }
    let api = res.body as Record<string, unknown>;
    let state = keepPlannedComputed(this.def, stateFromApi(this.def, api, planned), planned);
    if (this.def.async && this.waits(planned)) {
      try {
        api = await this.waitReady(client, state, 'create', signal);
        state = keepPlannedComputed(this.def, stateFromApi(this.def, api, state), planned);
        diagnostics.push(...this.inconclusiveWarning(api));
      } catch (err) {
        if (err instanceof WaitError && this.def.async.fixableInPlace) {
          // Only a verdict says the inputs are wrong. A wait that ran out judged nothing: the
          // object may be fine, and the control plane goes on with it, so it is kept, untainted.
          if (!err.verdict && err.last) {
            api = err.last;
            state = keepPlannedComputed(this.def, stateFromApi(this.def, api, state), planned);
            diagnostics.push(this.noVerdictWarning(api, state, 'create'));
            return { value: this.settleUnknowns(state), diagnostics };
          }
          const removed = err.verdict ? await this.removeUnfinished(client, state, err) : undefined;
          if (removed) return { value: null, diagnostics: [removed] };
        }
        // The object exists: hand its state back so Terraform records it (tainted) rather than losing it.
        if (err instanceof WaitError && err.last) state = keepPlannedComputed(this.def, stateFromApi(this.def, err.last, state), planned);
        diagnostics.push(this.waitDiagnostic(err, `${this.typeName} was created but did not become ready`));
      }
    }
    return { value: this.settleUnknowns(state), diagnostics };
  }

  async update(client: ClaresiaClient, prior: ObjectValue, planned: ObjectValue, config: ObjectValue, signal?: AbortSignal): Promise<Result<ObjectValue>> {
    const changed = this.changedInputs(prior, planned, config);
    for (const v of writeOnlyVersions(this.def)) {
      if ((prior[v.version] ?? null) !== (planned[v.version] ?? null) && (planned[v.version] ?? null) !== null && (config[v.attribute] ?? null) === null) {
        throw new Error(`${v.version} changed but ${v.attribute} is not set: there is no new value to send`);
      }
    }
    const diagnostics: Diagnostic[] = [];
    let state = { ...planned };
    if (changed.size > 0) {
      const op = this.def.api.update;
      if (!op) throw new Error(`${this.typeName} cannot be updated in place`);
      // PUT replaces the object: every updatable input (those fixed at creation are in the path,
      // and the API refuses them in a body). PATCH sends what changed.
      const updatable = new Set(Object.entries(this.def.attributes).filter(([, a]) => a.mode !== 'computed' && !a.forceNew).map(([n]) => n));
      const body = requestBody(this.def, planned, config, op.method === 'PUT' ? updatable : changed);
      // Not cancelled by a stop, as for create: a change the server made must reach state.
      const res = await client.request(op.method, expand(op.path, pathValues(this.def, prior)), { body });
      let api: Record<string, unknown> | undefined;
      if (res.body && typeof res.body === 'object' && this.def.idAttribute in res.body) api = res.body as Record<string, unknown>;
      else {
        try {
          api = await this.fetch(client, prior, signal);
        } catch (err) {
          // The change is made: record it as planned (values it left unknown as they were)
          // rather than the prior state a failed apply keeps; the next refresh completes it.
          diagnostics.push(fromError(err, `${this.typeName} was updated but could not be read back`, this.def.attributes));
          const known: ObjectValue = {};
          for (const [k, v] of Object.entries(planned)) known[k] = isWhollyKnown(v) ? v : (prior[k] ?? null);
          return { value: this.settleUnknowns(known), diagnostics };
        }
      }
      if (!api) throw new ClaresiaApiError(404, 'not_found', `${this.typeName} disappeared during update`, undefined, op.method, op.path);
      // Only a change that can change the status waits: a failed connector renamed stays failed,
      // and that is no failure of this apply.
      if (this.def.async && this.waits(planned) && updateWaits(this.def, changed)) {
        try {
          api = await this.waitReady(client, { ...prior, [TIMEOUTS_ATTRIBUTE]: planned[TIMEOUTS_ATTRIBUTE] ?? null }, 'update', signal);
          diagnostics.push(...this.inconclusiveWarning(api));
        } catch (err) {
          if (err instanceof WaitError && err.last) api = err.last;
          // As for create: the update is made and nobody judged it, so the apply keeps the new
          // values and says so; only a verdict fails it.
          if (err instanceof WaitError && err.last && !err.verdict && this.def.async.fixableInPlace) diagnostics.push(this.noVerdictWarning(err.last, planned, 'update'));
          else diagnostics.push(this.waitDiagnostic(err, `${this.typeName} was updated but did not become ready`));
        }
      }
      state = stateFromApi(this.def, api, planned);
    }
    return { value: keepPlannedComputed(this.def, state, planned), diagnostics };
  }

  async delete(client: ClaresiaClient, prior: ObjectValue, signal?: AbortSignal): Promise<Result<null>> {
    const op = this.def.api.delete;
    if (!op) return { value: null, diagnostics: [warning(`${this.typeName} has no delete operation`, 'It was removed from state only.')] };
    await client.request(op.method, expand(op.path, pathValues(this.def, prior)), { accept: [404], signal });
    if (this.def.async) await this.waitGone(client, prior, signal);
    return { value: null, diagnostics: [] };
  }

  /** `terraform import` / import blocks: the ID format of the catalog, e.g. `{id}` or `{hub_id}/{id}`. */
  importState(id: string): Result<ObjectValue | null> {
    const parsed = parseImportId(this.def, id);
    if ('problem' in parsed) return { value: null, diagnostics: [error('Invalid import ID', parsed.problem)] };
    const state: ObjectValue = Object.fromEntries(Object.keys(this.type.object).map((k) => [k, null]));
    Object.assign(state, parsed.values);
    return { value: state, diagnostics: [] };
  }

  /** Any value still unknown after apply (an attribute the API did not return) becomes null. */
  private settleUnknowns(state: ObjectValue): ObjectValue {
    const out: ObjectValue = {};
    for (const [k, v] of Object.entries(state)) out[k] = isWhollyKnown(v) ? v : null;
    return out;
  }

  private timeoutMs(state: ObjectValue, op: 'create' | 'update' | 'delete'): number {
    const t = state[TIMEOUTS_ATTRIBUTE];
    const raw = t && t !== UNKNOWN ? (t as ObjectValue)[op] : null;
    return (typeof raw === 'string' ? parseDuration(raw) : undefined) ?? DEFAULT_TIMEOUT_MS;
  }

  /** Whether apply waits for readiness: the catalog's wait argument, when the resource has one, can say no. */
  private waits(planned: ObjectValue): boolean {
    const arg = waitArgument(this.def);
    return !arg || planned[arg] !== false;
  }

  /** A failed wait as Terraform shows it: at the attribute its reason names, when there is one. */
  private waitDiagnostic(err: unknown, action: string): Diagnostic {
    if (!(err instanceof WaitError)) return fromError(err, action, this.def.attributes);
    return error(`${action}: ${err.message}`, undefined, err.attribute ? [err.attribute] : undefined);
  }

  /**
   * Why an object is not ready, in the API's words, with what the user must act on (the
   * catalog's reasonContext) and where to watch it; and the input the reason names, if any.
   */
  private explain(api: Record<string, unknown>): { text: string; once: string; attribute?: string } {
    const a = this.def.async!;
    const reason = a.reasonAttribute ? api[a.reasonAttribute] : undefined;
    const said = typeof reason === 'string' && reason !== '' ? reason : undefined;
    const settled = said && this.quirks.reasonWithoutRetry ? this.quirks.reasonWithoutRetry(said) : said;
    const context = (a.reasonContext ?? []).filter((n) => typeof api[n] === 'string' && api[n] !== '').map((n) => `${n} = ${String(api[n])}`);
    const where = `GET ${expand(this.def.api.read.path, { ...api, id: api[this.def.idAttribute] })} shows its progress`;
    const text = [said && `: ${said}`, '. ', [...context, where].join('; '), '.'].filter(Boolean).join('');
    return { text, once: settled ? `: ${settled}.` : '.', attribute: reasonInput(this.def, said) };
  }

  /**
   * A wait that ended on a pending object held up by something no wait can hurry (a platform the
   * control plane cannot reach): the apply goes on, and says what is still open and why.
   */
  private inconclusiveWarning(api: Record<string, unknown>): Diagnostic[] {
    const reason = inconclusiveReason(this.def, api);
    if (!reason) return [];
    const a = this.def.async!;
    const id = String(api[this.def.idAttribute]);
    const about = reasonInput(this.def, reason);
    return [
      warning(
        `${this.typeName} ${id} is still ${String(api[a.attribute])}`,
        `${reason}. The control plane goes on by itself; ${this.whereOutcomeShows(api)}.`,
        about ? [about] : undefined,
      ),
    ];
  }

  /** For a pending object the apply leaves behind: where its outcome shows, and that a refresh records it. */
  private whereOutcomeShows(api: Record<string, unknown>): string {
    const a = this.def.async!;
    const where = expand(this.def.api.read.path, { ...api, id: String(api[this.def.idAttribute]) });
    return `GET ${where} shows the outcome, and a refresh records it (${a.attribute} ${[...a.ready, ...a.failed].join(' or ')})`;
  }

  /**
   * A create or update whose wait for a verdict ran out (the platform silent, the control plane's
   * test queue behind): the object is kept as it is now, its new values in state, at the timeout
   * of that operation, which is what a user can change about it; the next refresh records the
   * outcome.
   */
  private noVerdictWarning(api: Record<string, unknown>, state: ObjectValue, op: 'create' | 'update'): Diagnostic {
    const a = this.def.async!;
    const id = String(api[this.def.idAttribute]);
    const reason = a.reasonAttribute && typeof api[a.reasonAttribute] === 'string' && api[a.reasonAttribute] !== '' ? ` (${String(api[a.reasonAttribute])})` : '';
    const kept = op === 'create' ? 'It is kept' : 'The new values are kept in state';
    return warning(
      `${this.typeName} ${id} is still ${String(api[a.attribute])}: no verdict within timeouts.${op}`,
      `It was ${op}d, but nothing judged it within timeouts.${op} (${this.timeoutMs(state, op)} ms)${reason}: the platform or the control plane's test queue is slow. ` +
        `${kept}, and the control plane goes on testing it; ${this.whereOutcomeShows(api)}. ` +
        `Raise timeouts.${op} to wait longer.`,
      [TIMEOUTS_ATTRIBUTE, { key: op }],
    );
  }

  /**
   * A create whose wait ended badly, for a resource fixed in place by a new input: Terraform
   * taints any object whose create fails, and would replace it, where the fix is a new value of
   * the input the failure names. Nothing anyone holds points at it yet (the apply stops here), so
   * it is deleted: the apply changes nothing, and the next one, with the input fixed, creates it.
   * Undefined when the delete did not go through; the object is then kept, as any other.
   */
  private async removeUnfinished(client: ClaresiaClient, state: ObjectValue, err: WaitError): Promise<Diagnostic | undefined> {
    const op = this.def.api.delete;
    if (!op) return undefined;
    try {
      await client.request(op.method, expand(op.path, pathValues(this.def, state)), { accept: [404] });
    } catch (deleteErr) {
      log('warn', 'could not delete an object whose create failed', { type: this.typeName, id: state[this.def.idAttribute], error: (deleteErr as Error).message });
      return undefined;
    }
    const id = String(state[this.def.idAttribute]);
    return error(
      `${this.typeName} was not created: ${err.once}`,
      `${id} was deleted again, so this apply changed nothing. Fix ${err.attribute ?? `what ${this.def.async?.reasonAttribute ?? 'the reason'} above names`} and apply again.`,
      err.attribute ? [err.attribute] : undefined,
    );
  }

  /** Polls an asynchronous resource until its status is ready (or failed, or time runs out). */
  private async waitReady(client: ClaresiaClient, state: ObjectValue, op: 'create' | 'update', signal?: AbortSignal): Promise<Record<string, unknown>> {
    const a = this.def.async!;
    const id = String(state[this.def.idAttribute]);
    const deadline = Date.now() + this.timeoutMs(state, op);
    for (let i = 0; ; i++) {
      const api = await this.fetch(client, state, signal ?? AbortSignal.timeout(60_000));
      if (!api) throw new WaitError(`${this.typeName} ${id} disappeared while waiting for it`, undefined, undefined);
      const status = String(api[a.attribute]);
      if (a.ready.includes(status) || inconclusiveReason(this.def, api)) return api;
      if (a.failed.includes(status)) {
        const why = this.explain(api);
        throw new WaitError(`${this.typeName} ${id} ended in ${a.attribute} ${status}${why.text}`, api, why.attribute, `${a.attribute} ${status}${why.once}`, true);
      }
      if (Date.now() > deadline) {
        const why = this.explain(api);
        const timedOut = `timed out after ${this.timeoutMs(state, op)} ms waiting for ${a.attribute} to be ${a.ready.join(' or ')} (still ${status})`;
        throw new WaitError(`${timedOut}${why.text}`, api, why.attribute, `${timedOut}${why.once}`);
      }
      log('debug', 'waiting for resource', { type: this.typeName, id, status, ...(a.reasonAttribute ? { [a.reasonAttribute]: api[a.reasonAttribute] } : {}) });
      await pause(Math.min(5000, 250 * 2 ** i), signal);
    }
  }

  private async waitGone(client: ClaresiaClient, state: ObjectValue, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + this.timeoutMs(state, 'delete');
    for (let i = 0; ; i++) {
      const api = await this.fetch(client, state, signal ?? AbortSignal.timeout(60_000));
      if (!api) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${this.typeName} to be deleted`);
      await pause(Math.min(5000, 250 * 2 ** i), signal);
    }
  }
}
