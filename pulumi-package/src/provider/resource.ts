/**
 * One implementation of every Claresia resource for Pulumi, driven by its catalog entry: the
 * API paths, the attributes' modes and flags, the async status. A new catalog entry becomes a
 * working `claresia:index:<Title>` with no code here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { existingObjectId, inconclusiveReason, isManaged, reasonInput, rotatedOutside, updateWaits, type Attribute, type ResourceDef } from '@claresia/catalog';
import { BatchReader, ClaresiaApiError, type ClaresiaClient } from '@claresia/client';
import { attributesNamed, camel, isInput, isSecret } from '../names.js';
import { fromApiValue, toApiValue } from './convert.js';
import { apiForm, diffResource, inputDefault } from './diff.js';
import { hasSecret, hasUnknown, reveal, secret, secretKeys, UNKNOWN, UNREAD_WRITE_ONLY, type Props } from './values.js';

const DEFAULT_TIMEOUT_MS = 20 * 60_000;

const limitMs = (timeoutMs?: number) => (timeoutMs && timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT_MS);

/**
 * Receives what the Terraform provider would report as a warning diagnostic: an operation that
 * succeeded but leaves the user something to know (a connector kept unverified).
 */
export type Warn = (message: string) => void;

/** Created, but not ready: the engine records the object (so it is not leaked) and reports the reason. */
export class ResourceInitError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Props,
    readonly inputs: Props,
  ) {
    super(message);
  }
}

/** A wait that ended badly, with the last answer polled (the object as it is now). */
class WaitError extends Error {
  constructor(
    message: string,
    readonly last: Props | undefined,
    /** Ran out of time, as opposed to a verdict or a cancelled run. */
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

/** A poll that ran out of time. */
class TimedOut extends Error {}

/** `out` with each property whose value in one of `sources` holds a secret anywhere wrapped as a whole. */
function keepSecret(out: Props, ...sources: Props[]): Props {
  const secretIn = new Set(sources.flatMap((s) => [...secretKeys(s)]));
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, secretIn.has(k) ? secret(reveal(v)) : v]));
}

export class GenericResource {
  private batch: BatchReader<Props> | undefined;
  private batchClient: ClaresiaClient | undefined;

  /** `signal` ends the waits (not the writes) when the engine cancels the run. */
  constructor(
    readonly def: ResourceDef,
    private readonly signal?: AbortSignal,
  ) {}

  private expand(template: string, id: string | undefined, props: Props): string {
    return template.replace(/\{(\w+)\}/g, (_m, k: string) => {
      // `{id}` in a catalog path is the resource id, whatever attribute carries it.
      const v = (k === 'id' || k === this.def.idAttribute) && id !== undefined ? id : reveal(props[camel(k)]);
      if (v === undefined || v === null || v === UNKNOWN) throw new Error(`${this.def.title}: no value for {${k}} in ${template}`);
      return encodeURIComponent(String(v));
    });
  }

  /** The API's answer as Pulumi outputs; shown-once values kept from before, secrets wrapped. */
  outputs(api: Props, prior: Props, inputs: Props): Props {
    const out: Props = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (name === 'id' || attr.writeOnly) continue;
      const prop = camel(name);
      let v: unknown = fromApiValue(attr, api[name]);
      if (v === undefined || (v === null && attr.returnedOnce)) v = reveal(prior[prop]);
      if (v === undefined) continue;
      out[prop] = isSecret(attr) ? secret(v) : v;
    }
    return keepSecret(out, inputs, prior);
  }

  /** A request body from Pulumi inputs (only `names` when given; a cleared value is sent as null). */
  private body(inputs: Props, names?: Set<string>): Props {
    const body: Props = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (!isInput(attr)) continue;
      const prop = camel(name);
      if (names && !names.has(prop)) continue;
      const v = reveal(inputs[prop]);
      if (v === UNKNOWN) throw new Error(`${this.def.title}: ${prop} is still unknown`);
      if (v === undefined || v === null) {
        if (!names) continue;
        body[name] = (attr.mode === 'optional_computed' ? inputDefault(attr, inputs) : undefined) ?? null;
        continue;
      }
      body[name] = toApiValue(attr, v);
    }
    return body;
  }

  /** One object from the API, or undefined when it no longer exists. Reads share list requests. */
  async fetch(client: ClaresiaClient, id: string, props: Props): Promise<Props | undefined> {
    const list = this.def.api.list;
    if (list && !list.path.includes('{')) {
      if (this.batchClient !== client) {
        this.batchClient = client;
        this.batch = new BatchReader(client, list.path, this.def.idAttribute);
      }
      return this.batch!.read(id);
    }
    const op = this.def.api.read;
    const res = await client.request<Props>(op.method, this.expand(op.path, id, props), { accept: [404] });
    return res.status === 404 ? undefined : res.body;
  }

  /**
   * A planned input as the API will store it (trimmed, lowercased, a set sorted), so a preview
   * shows the value the update will record. A value holding a secret anywhere stays a secret.
   */
  private planned(attr: Attribute, v: unknown): unknown {
    if (v === undefined || v === null || hasUnknown(v)) return v;
    const stored = attr.normalize ? fromApiValue(attr, apiForm(attr, reveal(v))) : reveal(v);
    return hasSecret(v) ? secret(stored) : stored;
  }

  /** Preview of a create: inputs as planned, every value the API will choose unknown. */
  previewCreate(inputs: Props): Props {
    const out: Props = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (name === 'id' || attr.writeOnly) continue;
      const prop = camel(name);
      const v = inputs[prop];
      if (attr.mode === 'computed') out[prop] = UNKNOWN;
      else if (v !== undefined && v !== null) out[prop] = this.planned(attr, v);
      else if (attr.mode === 'optional_computed') out[prop] = inputDefault(attr, inputs) ?? UNKNOWN;
    }
    return out;
  }

  async create(client: ClaresiaClient, inputs: Props, timeoutMs?: number, warn: Warn = () => {}): Promise<{ id: string; outs: Props }> {
    const op = this.def.api.create;
    const res = await client.request<Props>(op.method, this.expand(op.path, undefined, inputs), { body: this.body(inputs), idempotencyKey: crypto.randomUUID() }).catch((err: unknown) => {
      throw this.adoptable(err);
    });
    const id = String(res.body[this.def.idAttribute]);
    // The create answer is the only one with values shown once (a connector's ingest credential):
    // the outputs of a wait's last poll keep them from it.
    const answered = this.outputs(res.body, {}, inputs);
    if (!this.def.async || !this.waits(inputs)) return { id, outs: answered };
    try {
      return { id, outs: this.outputs(await this.waitReady(client, id, inputs, timeoutMs, warn), answered, inputs) };
    } catch (err) {
      // A wait that ran out judged nothing: the object may be fine and the control plane goes on
      // with it, so it is created as it stands (status still pending); a refresh records the
      // verdict. Only a failed status is an error of this create.
      if (this.keptPending(err)) {
        warn(this.keptPendingWarning(id, err, inputs, timeoutMs, 'create'));
        return { id, outs: this.outputs(err.last, answered, inputs) };
      }
      throw new ResourceInitError((err as Error).message, id, err instanceof WaitError && err.last ? this.outputs(err.last, answered, inputs) : answered, inputs);
    }
  }

  /**
   * A create refused because the object exists already, naming it (a group that one of the
   * default mappings maps): the API's "change that mapping instead" means, in Pulumi, adopting it.
   */
  private adoptable(err: unknown): unknown {
    const id = err instanceof ClaresiaApiError ? existingObjectId(this.def, err.status, err.apiMessage) : undefined;
    if (!id || !(err instanceof ClaresiaApiError)) return err;
    const hint =
      `To manage ${id} with Pulumi instead of creating another, import it: give this resource the option \`import: "${id}"\` ` +
      `(its inputs must then match the object's; change them in a later update), or run \`pulumi import claresia:index:${this.def.title} <name> ${id}\``;
    return new ClaresiaApiError(err.status, err.code, `${err.apiMessage}. ${hint}`, err.field, err.method, err.path, err.requestId);
  }

  /**
   * Each value returned once that `api` shows was rotated outside Pulumi since `props` got it
   * leaves `outs`, with a warning: the one held no longer works, and Pulumi cannot read the new
   * one, so a dependent sees the value go rather than keep a dead credential.
   */
  private dropRotated(id: string, api: Props, props: Props, outs: Props, warn: Warn): void {
    for (const r of rotatedOutside(this.def, (name) => reveal(props[camel(name)]), api)) {
      const prop = camel(r.attribute);
      delete outs[prop];
      const works = r.previousWorksUntil ? `the value the stack held stops working at ${r.previousWorksUntil}` : 'the value the stack held no longer works';
      warn(
        `${this.def.title} ${id}: ${prop} was rotated outside Pulumi at ${r.rotatedAt} (${camel(r.rotatedAtAttribute)}): ${works}. ` +
          `It is removed from the stack's outputs, so whatever the program passes it to changes at its next update. ` +
          `Pulumi cannot read it back: only the answer to POST ${r.rotatePath} shows a new one, once, to its caller. ` +
          `Give that value (or a new rotation's) to what needs it; Pulumi holds a working ${prop} again only by creating the object again ` +
          `(pulumi up --replace <urn>): ${r.replacing}.`,
      );
    }
  }

  /** Refresh and import. Undefined when the object is gone. */
  async read(client: ClaresiaClient, id: string, props: Props, inputs: Props, warn: Warn = () => {}): Promise<{ outs: Props; inputs: Props } | undefined> {
    const api = await this.fetch(client, id, props);
    if (!api || !isManaged(this.def, api)) return undefined;
    const outs = this.outputs(api, props, inputs);
    this.dropRotated(id, api, props, outs, warn);
    const importing = Object.keys(inputs).length === 0;
    const nextInputs: Props = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (!isInput(attr)) continue;
      const prop = camel(name);
      const held = inputs[prop];
      if (attr.writeOnly || (!importing && held === undefined)) {
        if (held !== undefined) nextInputs[prop] = held;
        continue;
      }
      const fresh = reveal(outs[prop]);
      if (fresh === undefined || fresh === null) continue;
      // Keep what the program wrote when the API only normalised it: refresh must not invent a change.
      const keep = held !== undefined && isDeepStrictEqual(apiForm(attr, reveal(held)), apiForm(attr, fresh));
      const v = keep ? held : fresh;
      nextInputs[prop] = hasSecret(held) || isSecret(attr) ? secret(reveal(v)) : v;
    }
    // Write-only inputs the import could not read stay marked, through refreshes, until the
    // program's values are recorded in state.
    const priorUnread = reveal(props[UNREAD_WRITE_ONLY]);
    const unread = Object.entries(this.def.attributes)
      .filter(([name, attr]) => attr.writeOnly && nextInputs[camel(name)] === undefined && (importing || (Array.isArray(priorUnread) && priorUnread.includes(camel(name)))))
      .map(([name]) => camel(name));
    if (unread.length) outs[UNREAD_WRITE_ONLY] = unread;
    return { outs, inputs: nextInputs };
  }

  /** Preview of an update: the new inputs over the old outputs, those derived from a changed input unknown. */
  previewUpdate(olds: Props, news: Props, oldInputs: Props | undefined): Props {
    const out: Props = { ...olds };
    for (const prop of diffResource(this.def, olds, news, oldInputs).derived) out[prop] = UNKNOWN;
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (!isInput(attr) || attr.writeOnly) continue;
      const prop = camel(name);
      if (news[prop] !== undefined) out[prop] = this.planned(attr, news[prop]);
      else if (attr.mode === 'optional') delete out[prop];
      else if (attr.mode === 'optional_computed') {
        const fallback = inputDefault(attr, news);
        if (fallback !== undefined) out[prop] = fallback;
      }
    }
    return out;
  }

  async update(client: ClaresiaClient, id: string, olds: Props, news: Props, oldInputs: Props | undefined, timeoutMs?: number, warn: Warn = () => {}): Promise<Props> {
    const { changes } = diffResource(this.def, olds, news, oldInputs);
    // Outputs in state from before a secret was nested in an input get wrapped here too.
    if (changes.length === 0) return keepSecret(this.def.async ? await this.resumeWait(client, id, olds, news, timeoutMs, warn) : olds, news);
    const op = this.def.api.update;
    if (!op || changes.some((c) => c.replace)) throw new Error(`${this.def.title} cannot change ${changes.filter((c) => c.replace).map((c) => c.property).join(', ')} in place`);
    // PATCH carries what changed; PUT replaces the whole updatable representation.
    const names =
      op.method === 'PUT'
        ? new Set(Object.entries(this.def.attributes).filter(([, a]) => isInput(a) && !a.forceNew).map(([n]) => camel(n)))
        : new Set(changes.map((c) => c.property));
    const res = await client.request<Props>(op.method, this.expand(op.path, id, olds), { body: this.body(news, names) });
    let api: Props | undefined = res.body && typeof res.body === 'object' && this.def.idAttribute in res.body ? res.body : await this.fetch(client, id, olds);
    if (!api) throw new ClaresiaApiError(404, 'not_found', `${this.def.title} ${id} disappeared during the update`, undefined, op.method, op.path);
    // Only a change that can change the status waits: a failed connector renamed stays failed,
    // and that is no failure of this update.
    if (this.def.async && this.waits(news) && updateWaits(this.def, attributesNamed(this.def, changes.map((c) => c.property)))) {
      try {
        api = await this.waitReady(client, id, olds, timeoutMs, warn);
      } catch (err) {
        // As for create: the update is made and nothing judged it, so it succeeds with the new
        // outputs (status still pending) and a warning; only a failed status is an error.
        if (this.keptPending(err)) {
          warn(this.keptPendingWarning(id, err, news, timeoutMs, 'update'));
          return this.outputs(err.last, olds, news);
        }
        // Updated, but not ready: the engine keeps the new outputs and reports why.
        throw new ResourceInitError((err as Error).message, id, this.outputs(err instanceof WaitError && err.last ? err.last : api, olds, news), news);
      }
    }
    return this.outputs(api, olds, news);
  }

  /**
   * The engine retries a resource whose creation did not finish (a timeout, a cancelled run:
   * its init errors) with an Update of the same inputs. Answering with the old outputs would
   * clear those errors while it is still provisioning: wait for it again, and report it, with
   * its id, when it still is not ready.
   */
  private async resumeWait(client: ClaresiaClient, id: string, olds: Props, news: Props, timeoutMs: number | undefined, warn: Warn): Promise<Props> {
    const a = this.def.async!;
    const status = String(reveal(olds[camel(a.attribute)]));
    if (a.ready.includes(status) || !this.waits(news)) return olds;
    // Reported already, and fixed only by a new value of an input this update does not change:
    // failing again would fail every `pulumi up` until then.
    if (a.fixableInPlace && a.failed.includes(status)) return olds;
    try {
      return this.outputs(await this.waitReady(client, id, olds, timeoutMs, warn), olds, news);
    } catch (err) {
      const now = await this.fetch(client, id, olds).catch(() => undefined);
      const failed = now !== undefined && a.failed.includes(String(now[a.attribute]));
      const about = now && a.reasonAttribute ? reasonInput(this.def, typeof now[a.reasonAttribute] === 'string' ? String(now[a.reasonAttribute]) : undefined) : undefined;
      // Nothing in place makes a failed Hub ready: only a new one (Terraform taints it the same way).
      const hint = !failed
        ? ''
        : a.fixableInPlace
          ? `; a new value of ${about ? camel(about) : (a.updateWaitsOn ?? []).map(camel).join(' or ')} fixes it in place`
          : `; it cannot become ready as it is: fix its inputs or replace it (pulumi up --replace <urn>)`;
      throw new ResourceInitError(`${(err as Error).message}${hint}`, id, now ? this.outputs(now, olds, news) : olds, news);
    }
  }

  async delete(client: ClaresiaClient, id: string, props: Props, timeoutMs?: number, warn: Warn = () => {}): Promise<void> {
    const op = this.def.api.delete;
    if (!op) {
      warn(`${this.def.title} ${id} has no delete operation: it was removed from the stack only, and still exists in Claresia.`);
      return;
    }
    await client.request(op.method, this.expand(op.path, id, props), { accept: [404] });
    if (this.def.async) await this.poll(client, id, props, timeoutMs, (api) => api === undefined, 'to be deleted');
  }

  /** Whether create and update wait for readiness: the catalog's wait argument, when there is one, can say no. */
  private waits(inputs: Props): boolean {
    const arg = this.def.async?.waitArgument;
    return !arg || reveal(inputs[camel(arg.name)]) !== false;
  }

  /**
   * Why an object is not ready, in the API's words, with the property the reason is about, what
   * the user must act on and where to watch it.
   */
  private explain(id: string, api: Props): string {
    const a = this.def.async!;
    const reason = a.reasonAttribute ? api[a.reasonAttribute] : undefined;
    const said = typeof reason === 'string' && reason !== '' ? reason : undefined;
    const about = reasonInput(this.def, said);
    const context = (a.reasonContext ?? []).filter((n) => typeof api[n] === 'string' && api[n] !== '').map((n) => `${camel(n)} = ${String(api[n])}`);
    const where = `GET ${this.expand(this.def.api.read.path, id, {})} shows its progress`;
    return `${said ? `: ${said}${about ? ` (property ${camel(about)})` : ''}` : ''}. ${[...context, where].join('; ')}.`;
  }

  /**
   * For a pending object an operation leaves behind: where its outcome shows, and that a refresh
   * records it.
   */
  private whereOutcomeShows(id: string, props: Props): string {
    const a = this.def.async!;
    return `GET ${this.expand(this.def.api.read.path, id, props)} shows the outcome, and \`pulumi refresh\` records it (${camel(a.attribute)} ${[...a.ready, ...a.failed].join(' or ')})`;
  }

  /**
   * A wait that ended on a pending object held up by what no wait can hurry (a platform the
   * control plane cannot reach): the operation goes on, and says what is still open and why.
   */
  private inconclusiveWarning(id: string, api: Props, props: Props, reason: string): string {
    const about = reasonInput(this.def, reason);
    return (
      `${this.def.title} ${id} is still ${String(api[this.def.async!.attribute])}: ${reason}${about ? ` (property ${camel(about)})` : ''}. ` +
      `The control plane goes on by itself; ${this.whereOutcomeShows(id, props)}.`
    );
  }

  /**
   * Whether a create's or update's wait that ended with `err` left an object to keep, untainted:
   * one fixed in place by a new input, still pending, judged by nothing (no failed status).
   */
  private keptPending(err: unknown): err is WaitError & { last: Props } {
    const a = this.def.async;
    return !!a?.fixableInPlace && err instanceof WaitError && err.last !== undefined && a.pending.includes(String(err.last[a.attribute]));
  }

  /**
   * A create or update kept while still pending: nothing judged it within the wait (the platform
   * silent, the test queue behind), or the run was cancelled first. The custom timeout of that
   * operation is what a user can change about the first.
   */
  private keptPendingWarning(id: string, err: WaitError, props: Props, timeoutMs: number | undefined, op: 'create' | 'update'): string {
    const a = this.def.async!;
    const last = err.last!;
    const status = String(last[a.attribute]);
    const where = this.whereOutcomeShows(id, props);
    const kept = op === 'create' ? 'It is kept' : 'Its new values are kept';
    if (!err.timedOut) return `${this.def.title} ${id} is still ${status}: ${err.message}. ${kept}; ${where}.`;
    const said = a.reasonAttribute ? last[a.reasonAttribute] : undefined;
    const reason = typeof said === 'string' && said !== '' ? ` (${said})` : '';
    return (
      `${this.def.title} ${id} is still ${status}: no verdict within customTimeouts.${op}. ` +
      `It was ${op}d, but nothing judged it within ${Math.round(limitMs(timeoutMs) / 1000)} s${reason}: the platform or the control plane's test queue is slow. ` +
      `${kept}, and the control plane goes on testing it; ${where}. Raise the resource's customTimeouts.${op} to wait longer.`
    );
  }

  private async waitReady(client: ClaresiaClient, id: string, props: Props, timeoutMs?: number, warn: Warn = () => {}): Promise<Props> {
    const a = this.def.async!;
    let last: Props | undefined;
    try {
      const api = await this.poll(client, id, props, timeoutMs, (api) => {
        if (!api) throw new Error(`${this.def.title} ${id} disappeared while it was being provisioned`);
        last = api;
        const status = String(api[a.attribute]);
        if (a.failed.includes(status)) throw new Error(`${this.def.title} ${id} ended in ${a.attribute} ${status}${this.explain(id, api)}`);
        // Held up by what no wait can hurry (a platform out of reach): the outputs say so.
        return a.ready.includes(status) || inconclusiveReason(this.def, api) !== undefined;
      }, `${a.attribute} to be ${a.ready.join(' or ')}`);
      const reason = inconclusiveReason(this.def, api!);
      if (reason !== undefined) warn(this.inconclusiveWarning(id, api!, props, reason));
      return api!;
    } catch (err) {
      let message = (err as Error).message;
      const timedOut = err instanceof TimedOut;
      if (last && timedOut) message = `${message} (still ${String(last[a.attribute])})${this.explain(id, last)}`;
      throw new WaitError(message, last, timedOut);
    }
  }

  /** Polls with growing pauses until done(api) or the timeout. */
  private async poll(client: ClaresiaClient, id: string, props: Props, timeoutMs: number | undefined, done: (api: Props | undefined) => boolean, what: string): Promise<Props | undefined> {
    const limit = limitMs(timeoutMs);
    const deadline = Date.now() + limit;
    const cancelled = () => new Error(`${this.def.title} ${id}: the run was cancelled while waiting for ${what}`);
    for (let i = 0; ; i++) {
      if (this.signal?.aborted) throw cancelled();
      const api = await this.fetch(client, id, props);
      if (done(api)) return api;
      if (Date.now() > deadline) throw new TimedOut(`${this.def.title} ${id}: timed out after ${Math.round(limit / 1000)} s waiting for ${what}`);
      try {
        await sleep(Math.min(5000, 200 * 2 ** i), undefined, { signal: this.signal });
      } catch {
        throw cancelled();
      }
    }
  }
}
