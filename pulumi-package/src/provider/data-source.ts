/**
 * A catalog data source as a Pulumi function (Invoke): its arguments fill the read path's
 * placeholders and the rest go as query parameters; the answer comes back in camelCase.
 */
import type { DataSourceDef } from '@claresia/catalog';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClaresiaClient } from '@claresia/client';
import { camel, isInput, isSecret } from '../names.js';
import { fromApiValue, toApiValue } from './convert.js';
import { hasUnknown, reveal, secret, type Props } from './values.js';

export class GenericFunction {
  constructor(readonly def: DataSourceDef) {}

  async invoke(client: ClaresiaClient, args: Props): Promise<Props> {
    const wait = this.def.waitsFor;
    const used = new Set<string>(wait ? [wait.timeoutArgument] : []);
    const path = this.def.api.read.path.replace(/\{(\w+)\}/g, (_m, k: string) => {
      used.add(k);
      const v = reveal(args[camel(k)]);
      if (v === undefined || v === null) throw new Error(`get${this.def.title}: ${camel(k)} is required`);
      return encodeURIComponent(String(v));
    });
    const query: Record<string, string | string[]> = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      if (!isInput(attr) || used.has(name)) continue;
      const v = toApiValue(attr, reveal(args[camel(name)]));
      if (v === undefined || v === null) continue;
      if (hasUnknown(v)) throw new Error(`get${this.def.title}: ${camel(name)} is not known yet`);
      query[name] = Array.isArray(v) ? v.map(String) : String(v);
    }
    const body = wait ? await this.waitReady(client, path, query, args) : ((await client.request<Props>(this.def.api.read.method, path, { query })).body ?? {});
    const out: Props = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      const v = isInput(attr) ? reveal(args[camel(name)]) : fromApiValue(attr, body[name]);
      if (v === undefined) continue;
      out[camel(name)] = isSecret(attr) ? secret(v) : v;
    }
    return out;
  }

  /** Polls the read path until the object is ready; an error that says why when it fails or time runs out. */
  private async waitReady(client: ClaresiaClient, path: string, query: Record<string, string | string[]>, args: Props): Promise<Props> {
    const { async: a, timeoutArgument } = this.def.waitsFor!;
    const configured = reveal(args[camel(timeoutArgument)]);
    const seconds = typeof configured === 'number' ? configured : Number(this.def.attributes[timeoutArgument]?.default ?? 1200);
    const deadline = Date.now() + seconds * 1000;
    for (let i = 0; ; i++) {
      const res = await client.request<Props>(this.def.api.read.method, path, { query, accept: [404] });
      if (res.status === 404) throw new Error(`get${this.def.title}: ${path} does not exist`);
      const api = res.body ?? {};
      const status = String(api[a.attribute]);
      if (a.ready.includes(status)) return api;
      const reason = a.reasonAttribute && typeof api[a.reasonAttribute] === 'string' ? `: ${String(api[a.reasonAttribute])}` : '';
      const context = (a.reasonContext ?? []).filter((n) => typeof api[n] === 'string').map((n) => `${camel(n)} = ${String(api[n])}`);
      const why = `${reason}${context.length ? `. ${context.join('; ')}` : ''}. GET ${path} shows its progress.`;
      if (a.failed.includes(status)) throw new Error(`get${this.def.title}: ${path} is ${status}${why}`);
      if (Date.now() > deadline) throw new Error(`get${this.def.title}: ${path} is still ${status} after ${seconds} s${why}`);
      await sleep(Math.min(5000, 250 * 2 ** i));
    }
  }
}
