/**
 * The Claresia resource provider: the `@pulumi/pulumi/provider` interface (check, diff,
 * create, read, update, delete, getSchema) plus what the stock Node server leaves out and the
 * engine needs from a native provider: CheckConfig and Configure with the `claresia:*`
 * configuration, previews that never call the API, and the inputs in state for diffs of
 * write-only values. Every resource is the one generic implementation over its catalog entry.
 */
import { isDeepStrictEqual } from 'node:util';
import type * as pulumiProvider from '@pulumi/pulumi/provider/index.js';
import { dataSources, parseImportId, resources, type DataSourceDef, type ResourceDef } from '@claresia/catalog';
import { ClaresiaApiError, ClaresiaClient } from '@claresia/client';
import { camel, functionToken, titleFromUrn } from '../names.js';
import { schemaJson } from '../codegen/generate.js';
import { VERSION } from '../version.js';
import { checkInputs, secretInputs, type Failure } from './check.js';
import { resolveConfig, secretSettings, signedInClient, type ResolvedConfig } from './config.js';
import { diffResource, type Change } from './diff.js';
import { EngineLog } from './engine-log.js';
import { GenericResource, type Warn } from './resource.js';
import { GenericFunction } from './data-source.js';
import { redact, secretTexts } from './redact.js';
import { reveal, type Props } from './values.js';
import { PROVIDER_CONFIG } from '../provider-config.js';

export interface OpOptions {
  preview?: boolean;
  /** The inputs recorded in state (sent by engines that support it). */
  oldInputs?: Props;
  /** The operation's custom timeout, 0 for the default. */
  timeoutMs?: number;
}

/**
 * An error as a Pulumi user reads it: an API error names the property, not the API field, and
 * keeps the API's own message, which may quote a value sent. So every secret in `sent` (the
 * properties of the request) is masked in the text, whatever the error; plain values may show.
 */
function explain(err: unknown, def: { title: string }, ...sent: Array<Props | undefined>): Error {
  const hidden = secretTexts(...sent);
  if (err instanceof ClaresiaApiError) {
    const prop = err.field ? camel(err.field.split(/[.[]/)[0]!) : undefined;
    return new Error(redact(`${def.title}: ${err.apiMessage} (${err.status} ${err.code}${prop ? `, property ${prop}` : ''}; ${err.method} ${err.path})`, hidden));
  }
  // Kept as the same object: the server reports a ResourceInitError with the object's id.
  if (err instanceof Error) err.message = redact(err.message, hidden);
  return err as Error;
}

export class ClaresiaProvider implements pulumiProvider.Provider {
  readonly version = VERSION;
  private readonly byTitle = new Map<string, GenericResource>();
  private readonly byToken = new Map<string, GenericFunction>();
  private config: ResolvedConfig | undefined;
  private apiClient: ClaresiaClient | undefined;
  private readonly stop = new AbortController();

  constructor(
    defs: readonly ResourceDef[] = resources,
    functions: readonly DataSourceDef[] = dataSources,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Where warnings go: the engine whose address the plugin was started with. */
    private readonly log: EngineLog = new EngineLog(),
  ) {
    for (const def of defs) this.byTitle.set(def.title, new GenericResource(def, this.stop.signal));
    for (const def of functions) this.byToken.set(functionToken(def), new GenericFunction(def));
  }

  /** The engine's Cancel (Ctrl-C): waits for readiness end at once; a half-made object is reported with its id. */
  async cancel(): Promise<void> {
    this.stop.abort();
  }

  /** The engine's Attach (a plugin started by hand) names the engine's address. */
  attach(engineAddress: string): void {
    this.log.attach(engineAddress);
  }

  /**
   * Runs an operation of the resource at `urn` and sends the engine each warning it gave, about
   * that resource, once it ends (also when it fails: a warning before the failure still holds).
   * Warnings quote the API, so every secret of `sent` is masked in them, as in errors.
   */
  private async warning<T>(urn: string, sent: Array<Props | undefined>, op: (warn: Warn) => Promise<T>): Promise<T> {
    const said: string[] = [];
    try {
      return await op((message) => void said.push(message));
    } finally {
      if (said.length) {
        const hidden = secretTexts(...sent);
        for (const message of said) await this.log.warn(urn, redact(message, hidden));
      }
    }
  }

  async getSchema(): Promise<string> {
    return schemaJson();
  }

  /**
   * The engine records the checked settings in the checkpoint, so the secret ones go back
   * wrapped even when the stack config or the Provider arguments gave them in clear.
   */
  checkConfig(news: Props): { inputs: Props; failures: Failure[] } {
    return { inputs: secretSettings(news), failures: resolveConfig(news, this.env, VERSION).failures };
  }

  /** Settings whose value differs; an unknown new value counts as a change. */
  diffConfig(olds: Props, news: Props): string[] {
    return PROVIDER_CONFIG.map((c) => c.name).filter((k) => !isDeepStrictEqual(reveal(olds[k]) ?? null, reveal(news[k]) ?? null));
  }

  async configure(props: Props): Promise<void> {
    const cfg = resolveConfig(props, this.env, VERSION);
    if (cfg.failures.length) throw new Error(`claresia provider: ${cfg.failures.map((f) => f.reason).join('; ')}`);
    this.apiClient = await signedInClient(cfg);
    this.config = cfg;
  }

  private client(): ClaresiaClient {
    if (!this.config) throw new Error('claresia provider: Configure was not called');
    if (!this.apiClient) throw new Error('claresia provider: its configuration is not known yet (it depends on a resource still being created)');
    return this.apiClient;
  }

  private resource(urn: string): GenericResource {
    const title = titleFromUrn(urn);
    const r = title ? this.byTitle.get(title) : undefined;
    if (!r) throw new Error(`claresia provider: unknown resource type in ${urn}`);
    return r;
  }

  async check(urn: string, _olds: Props, news: Props): Promise<pulumiProvider.CheckResult> {
    const r = this.resource(urn);
    return { inputs: secretInputs(r.def, news), failures: await checkInputs(r.def, news) };
  }

  async diff(_id: string, urn: string, olds: Props, news: Props, o: OpOptions = {}): Promise<pulumiProvider.DiffResult & { detailed: Change[] }> {
    const outcome = diffResource(this.resource(urn).def, olds, news, o.oldInputs);
    return {
      changes: outcome.changes.length > 0,
      replaces: outcome.changes.filter((c) => c.replace).map((c) => c.property),
      stables: outcome.stables,
      deleteBeforeReplace: outcome.deleteBeforeReplace,
      detailed: outcome.changes,
    };
  }

  async create(urn: string, inputs: Props, o: OpOptions = {}): Promise<pulumiProvider.CreateResult> {
    const r = this.resource(urn);
    if (o.preview) return { id: '', outs: r.previewCreate(inputs) };
    try {
      return await this.warning(urn, [inputs], (warn) => r.create(this.client(), inputs, o.timeoutMs, warn));
    } catch (err) {
      throw explain(err, r.def, inputs);
    }
  }

  async read(id: string, urn: string, props: Props = {}, o: { inputs?: Props } = {}): Promise<pulumiProvider.ReadResult> {
    const r = this.resource(urn);
    if (Object.keys(props).length === 0) {
      // An import or a get by id: an id of the wrong shape is named as such, not "not found".
      const parsed = parseImportId(r.def, id);
      if ('problem' in parsed) throw new Error(`${r.def.title} ${parsed.problem}`);
    }
    try {
      const found = await this.warning(urn, [props, o.inputs], (warn) => r.read(this.client(), id, props, o.inputs ?? {}, warn));
      // An empty id tells the engine the object is gone (deleted outside Pulumi).
      return found ? { id, props: found.outs, inputs: found.inputs } : { id: '', props: {}, inputs: {} };
    } catch (err) {
      throw explain(err, r.def, props, o.inputs);
    }
  }

  async update(id: string, urn: string, olds: Props, news: Props, o: OpOptions = {}): Promise<pulumiProvider.UpdateResult> {
    const r = this.resource(urn);
    if (o.preview) return { outs: r.previewUpdate(olds, news, o.oldInputs) };
    try {
      return { outs: await this.warning(urn, [olds, news, o.oldInputs], (warn) => r.update(this.client(), id, olds, news, o.oldInputs, o.timeoutMs, warn)) };
    } catch (err) {
      throw explain(err, r.def, olds, news, o.oldInputs);
    }
  }

  async invoke(token: string, inputs: Props): Promise<pulumiProvider.InvokeResult> {
    const fn = this.byToken.get(token);
    if (!fn) throw new Error(`claresia provider: unknown function ${token}`);
    try {
      return { outputs: await fn.invoke(this.client(), inputs) };
    } catch (err) {
      throw explain(err, fn.def, inputs);
    }
  }

  async delete(id: string, urn: string, props: Props, o: OpOptions = {}): Promise<void> {
    const r = this.resource(urn);
    try {
      await this.warning(urn, [props], (warn) => r.delete(this.client(), id, props, o.timeoutMs, warn));
    } catch (err) {
      throw explain(err, r.def, props);
    }
  }
}
