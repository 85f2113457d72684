/**
 * A catalog data source as a Pulumi function (Invoke): its arguments fill the read path's
 * placeholders and the rest go as query parameters; the answer comes back in camelCase.
 */
import type { DataSourceDef } from '@claresia/catalog';
import type { ClaresiaClient } from '@claresia/client';
import { camel, isInput, isSecret } from '../names.js';
import { fromApiValue, toApiValue } from './convert.js';
import { hasUnknown, reveal, secret, type Props } from './values.js';

export class GenericFunction {
  constructor(readonly def: DataSourceDef) {}

  async invoke(client: ClaresiaClient, args: Props): Promise<Props> {
    const used = new Set<string>();
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
    const res = await client.request<Props>(this.def.api.read.method, path, { query });
    const body = res.body ?? {};
    const out: Props = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      const v = isInput(attr) ? reveal(args[camel(name)]) : fromApiValue(attr, body[name]);
      if (v === undefined) continue;
      out[camel(name)] = isSecret(attr) ? secret(v) : v;
    }
    return out;
  }
}
