/**
 * One implementation of a Terraform data source, driven by a catalog DataSourceDef: its
 * arguments (non-computed attributes) fill the read path's placeholders and the rest go as
 * query parameters; the answer fills the computed attributes.
 */
import type { DataSourceDef } from '@claresia/catalog';
import type { ClaresiaClient } from '@claresia/client';
import type { CtyType, ObjectValue, Value } from '../values/cty.js';
import { ctyTypeOf, schemaAttribute } from '../schema.js';
import { validateConfig } from '../validate.js';
import type { Diagnostic } from '../diagnostics.js';
import { StringKind } from '../proto/tfplugin6.js';

export class GenericDataSource {
  readonly typeName: string;
  readonly type: { object: Record<string, CtyType> };

  constructor(readonly def: DataSourceDef) {
    this.typeName = `claresia_${def.name}`;
    this.type = { object: Object.fromEntries(Object.entries(def.attributes).map(([k, a]) => [k, ctyTypeOf(a.type)])) };
  }

  schema(): Record<string, unknown> {
    return {
      version: 0,
      block: {
        attributes: Object.entries(this.def.attributes).map(([n, a]) => schemaAttribute(n, a)),
        description: this.def.description,
        description_kind: StringKind.MARKDOWN,
      },
    };
  }

  validate(config: ObjectValue): Diagnostic[] {
    return validateConfig(this.def.attributes, config);
  }

  async read(client: ClaresiaClient, config: ObjectValue, signal?: AbortSignal): Promise<ObjectValue> {
    const wait = this.def.waitsFor;
    const used = new Set<string>(wait ? [wait.timeoutArgument] : []);
    const path = this.def.api.read.path.replace(/\{(\w+)\}/g, (_m, k: string) => {
      used.add(k);
      return encodeURIComponent(String(config[k]));
    });
    const query: Record<string, string | string[]> = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      const v = config[name];
      if (attr.mode === 'computed' || used.has(name) || v === null || v === undefined) continue;
      query[name] = Array.isArray(v) ? v.map(String) : String(v);
    }
    const body = wait ? await this.waitReady(client, path, query, config, signal) : (((await client.request(this.def.api.read.method, path, { query, signal })).body ?? {}) as Record<string, unknown>);
    const out: ObjectValue = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      out[name] = attr.mode === 'computed' ? ((body[name] ?? null) as Value) : (config[name] ?? null);
    }
    return out;
  }

  /** Polls the read path until the object is ready; an error that says why when it fails or time runs out. */
  private async waitReady(client: ClaresiaClient, path: string, query: Record<string, string | string[]>, config: ObjectValue, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const { async: a, timeoutArgument } = this.def.waitsFor!;
    const configured = config[timeoutArgument];
    const seconds = typeof configured === 'number' ? configured : Number(this.def.attributes[timeoutArgument]?.default ?? 1200);
    const deadline = Date.now() + seconds * 1000;
    for (let i = 0; ; i++) {
      const res = await client.request(this.def.api.read.method, path, { query, signal, accept: [404] });
      if (res.status === 404) throw new Error(`${path} does not exist`);
      const api = (res.body ?? {}) as Record<string, unknown>;
      const status = String(api[a.attribute]);
      if (a.ready.includes(status)) return api;
      const reason = a.reasonAttribute && typeof api[a.reasonAttribute] === 'string' ? `: ${String(api[a.reasonAttribute])}` : '';
      const context = (a.reasonContext ?? []).filter((n) => typeof api[n] === 'string').map((n) => `${n} = ${String(api[n])}`);
      const why = `${reason}${context.length ? `. ${context.join('; ')}` : ''}. GET ${path} shows its progress.`;
      if (a.failed.includes(status)) throw new Error(`${path} is ${status}${why}`);
      if (Date.now() > deadline) throw new Error(`${path} is still ${status} after ${seconds} s${why}`);
      await pause(Math.min(5000, 250 * 2 ** i), signal);
    }
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
