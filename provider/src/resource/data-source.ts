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
    const used = new Set<string>();
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
    const res = await client.request(this.def.api.read.method, path, { query, signal });
    const body = (res.body ?? {}) as Record<string, unknown>;
    const out: ObjectValue = {};
    for (const [name, attr] of Object.entries(this.def.attributes)) {
      out[name] = attr.mode === 'computed' ? ((body[name] ?? null) as Value) : (config[name] ?? null);
    }
    return out;
  }
}
