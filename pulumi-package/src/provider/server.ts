/**
 * The engine's side of the wire: the `pulumirpc.ResourceProvider` gRPC service, translating
 * protobuf requests to ClaresiaProvider calls. The stock `@pulumi/pulumi/provider` server
 * cannot carry configuration, previews or old inputs to a provider, so this one does.
 */
import * as grpc from '@grpc/grpc-js';
import services from '@pulumi/pulumi/proto/provider_grpc_pb.js';
import pb from '@pulumi/pulumi/proto/provider_pb.js';
import pluginPb from '@pulumi/pulumi/proto/plugin_pb.js';
import statusPb from '@pulumi/pulumi/proto/status_pb.js';
import structPb from 'google-protobuf/google/protobuf/struct_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import type { ClaresiaProvider } from './provider.js';
import { ResourceInitError } from './resource.js';
import type { Props } from './values.js';

const { Struct } = structPb;

function toJs(s: InstanceType<typeof Struct> | undefined): Props {
  return (s?.toJavaScript() ?? {}) as Props;
}

/** Struct.fromJavaScript refuses undefined; absent means absent. */
function toStruct(v: Props | undefined): InstanceType<typeof Struct> {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(v ?? {})));
}

function grpcError(err: unknown): Partial<grpc.StatusObject> {
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof ResourceInitError) {
    // The engine keeps the half-made object in state (so it is not leaked) and reports why.
    const detail = new pb.ErrorResourceInitFailed();
    detail.setId(err.id);
    detail.setProperties(toStruct(err.properties));
    detail.setInputs(toStruct(err.inputs));
    detail.setReasonsList([message]);
    const any = new anyPb.Any();
    any.pack(detail.serializeBinary(), 'pulumirpc.ErrorResourceInitFailed');
    const status = new statusPb.Status();
    status.setCode(grpc.status.UNKNOWN);
    status.setMessage(message);
    status.addDetails(any);
    const metadata = new grpc.Metadata();
    metadata.add('grpc-status-details-bin', Buffer.from(status.serializeBinary()));
    return { code: grpc.status.UNKNOWN, details: message, metadata };
  }
  return { code: grpc.status.UNKNOWN, details: message };
}

type Handler = (call: grpc.ServerUnaryCall<any, any>, callback: grpc.sendUnaryData<any>) => void;

function unary(fn: (req: any) => unknown): Handler {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err) => callback(grpcError(err)),
      );
  };
}

const seconds = (s: number) => (s > 0 ? s * 1000 : undefined);

function failureList(failures: Array<{ property: string; reason: string }>) {
  return failures.map((f) => {
    const m = new pb.CheckFailure();
    m.setProperty(f.property);
    m.setReason(f.reason);
    return m;
  });
}

const KIND = {
  add: [pb.PropertyDiff.Kind.ADD, pb.PropertyDiff.Kind.ADD_REPLACE],
  update: [pb.PropertyDiff.Kind.UPDATE, pb.PropertyDiff.Kind.UPDATE_REPLACE],
  delete: [pb.PropertyDiff.Kind.DELETE, pb.PropertyDiff.Kind.DELETE_REPLACE],
} as const;

export function serviceImplementation(provider: ClaresiaProvider): grpc.UntypedServiceImplementation {
  return {
    handshake: unary(() => {
      const res = new pb.ProviderHandshakeResponse();
      res.setAcceptSecrets(true);
      res.setAcceptResources(false);
      res.setAcceptOutputs(false);
      return res;
    }),
    getPluginInfo: unary(() => {
      const res = new pluginPb.PluginInfo();
      res.setVersion(provider.version);
      return res;
    }),
    getSchema: unary(async (req: InstanceType<typeof pb.GetSchemaRequest>) => {
      if (req.getVersion() !== 0) throw new Error(`unsupported schema version ${req.getVersion()}`);
      const res = new pb.GetSchemaResponse();
      res.setSchema(await provider.getSchema());
      return res;
    }),
    checkConfig: unary((req: InstanceType<typeof pb.CheckRequest>) => {
      const news = toJs(req.getNews());
      const out = provider.checkConfig(news);
      const res = new pb.CheckResponse();
      res.setInputs(toStruct(out.inputs));
      res.setFailuresList(failureList(out.failures));
      return res;
    }),
    diffConfig: unary((req: InstanceType<typeof pb.DiffRequest>) => {
      // A new endpoint or credential reconfigures the provider; it never replaces the resources.
      const changed = provider.diffConfig(toJs(req.getOlds()), toJs(req.getNews()));
      const res = new pb.DiffResponse();
      res.setChanges(changed.length ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE);
      res.setDiffsList(changed);
      return res;
    }),
    configure: unary(async (req: InstanceType<typeof pb.ConfigureRequest>) => {
      const args = req.hasArgs() ? toJs(req.getArgs()) : undefined;
      await provider.configure(args ?? variables(req));
      const res = new pb.ConfigureResponse();
      res.setAcceptsecrets(true);
      res.setSupportspreview(true);
      res.setAcceptresources(false);
      res.setAcceptoutputs(false);
      return res;
    }),
    check: unary(async (req: InstanceType<typeof pb.CheckRequest>) => {
      const out = await provider.check(req.getUrn(), toJs(req.getOlds()), toJs(req.getNews()));
      const res = new pb.CheckResponse();
      res.setInputs(toStruct(out.inputs));
      res.setFailuresList(failureList(out.failures ?? []));
      return res;
    }),
    diff: unary(async (req: InstanceType<typeof pb.DiffRequest>) => {
      const out: Awaited<ReturnType<ClaresiaProvider["diff"]>> = await provider.diff(req.getId(), req.getUrn(), toJs(req.getOlds()), toJs(req.getNews()), {
        oldInputs: req.hasOldInputs() ? toJs(req.getOldInputs()) : undefined,
      });
      const res = new pb.DiffResponse();
      res.setChanges(out.changes ? pb.DiffResponse.DiffChanges.DIFF_SOME : pb.DiffResponse.DiffChanges.DIFF_NONE);
      res.setReplacesList(out.replaces ?? []);
      res.setStablesList(out.stables ?? []);
      res.setDeletebeforereplace(!!out.deleteBeforeReplace);
      res.setDiffsList(out.detailed.map((c) => c.property));
      const detailed = res.getDetaileddiffMap();
      for (const c of out.detailed) {
        const d = new pb.PropertyDiff();
        d.setKind(KIND[c.kind][c.replace ? 1 : 0]);
        d.setInputdiff(true);
        detailed.set(c.property, d);
      }
      res.setHasdetaileddiff(true);
      return res;
    }),
    create: unary(async (req: InstanceType<typeof pb.CreateRequest>) => {
      const out = await provider.create(req.getUrn(), toJs(req.getProperties()), { preview: req.getPreview(), timeoutMs: seconds(req.getTimeout()) });
      const res = new pb.CreateResponse();
      res.setId(out.id);
      res.setProperties(toStruct(out.outs));
      return res;
    }),
    read: unary(async (req: InstanceType<typeof pb.ReadRequest>) => {
      const out = await provider.read(req.getId(), req.getUrn(), toJs(req.getProperties()), { inputs: req.hasInputs() ? toJs(req.getInputs()) : {} });
      const res = new pb.ReadResponse();
      res.setId(out.id ?? '');
      res.setProperties(toStruct(out.props));
      res.setInputs(toStruct(out.inputs));
      return res;
    }),
    update: unary(async (req: InstanceType<typeof pb.UpdateRequest>) => {
      const out = await provider.update(req.getId(), req.getUrn(), toJs(req.getOlds()), toJs(req.getNews()), {
        preview: req.getPreview(),
        oldInputs: req.hasOldInputs() ? toJs(req.getOldInputs()) : undefined,
        timeoutMs: seconds(req.getTimeout()),
      });
      const res = new pb.UpdateResponse();
      res.setProperties(toStruct(out.outs));
      return res;
    }),
    delete: unary(async (req: InstanceType<typeof pb.DeleteRequest>) => {
      await provider.delete(req.getId(), req.getUrn(), toJs(req.getProperties()), { timeoutMs: seconds(req.getTimeout()) });
      return new emptyPb.Empty();
    }),
    invoke: unary(async (req: InstanceType<typeof pb.InvokeRequest>) => {
      const out = await provider.invoke(req.getTok(), toJs(req.getArgs()));
      const res = new pb.InvokeResponse();
      res.setReturn(toStruct(out.outputs));
      res.setFailuresList(failureList(out.failures ?? []));
      return res;
    }),
    cancel: unary(async () => {
      await provider.cancel();
      return new emptyPb.Empty();
    }),
    attach: unary((req: InstanceType<typeof pluginPb.PluginAttach>) => {
      provider.attach(req.getAddress());
      return new emptyPb.Empty();
    }),
    getMapping: unary(() => new pb.GetMappingResponse()),
    getMappings: unary(() => new pb.GetMappingsResponse()),
  };
}

function variables(req: InstanceType<typeof pb.ConfigureRequest>): Props {
  const out: Props = {};
  for (const [k, v] of req.getVariablesMap().toArray() as Array<[string, string]>) {
    const m = /^claresia:(?:config:)?(\w+)$/.exec(k);
    if (m) out[m[1]!] = v;
  }
  return out;
}

/** Serves the provider on 127.0.0.1 and resolves with the port. */
export async function serve(provider: ClaresiaProvider): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 400 * 1024 * 1024 });
  server.addService(services.ResourceProviderService, serviceImplementation(provider));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, server };
}
