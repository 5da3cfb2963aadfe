// A CSI gRPC client (Identity + Node services) over the driver's unix socket, from the csi.proto of the CSI spec
// version the driver is built against (staged by build-csi.sh from the Go module cache; never committed).
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** csi.v1.VolumeCapability.AccessMode.Mode names. */
export type AccessMode = "SINGLE_NODE_WRITER" | "SINGLE_NODE_MULTI_WRITER";

export interface NodePublishVolumeRequest {
  volumeId: string;
  publishContext: Record<string, string>;
  targetPath: string;
  volumeCapability: { mount: { fsType: string; mountFlags: string[] }; accessMode: { mode: AccessMode } };
  readonly: boolean;
  secrets: Record<string, string>;
  volumeContext: Record<string, string>;
}

export interface CsiClient {
  probe(): Promise<void>;
  pluginName(): Promise<string>;
  nodeCapabilities(): Promise<string[]>;
  nodePublishVolume(req: NodePublishVolumeRequest): Promise<void>;
  nodeUnpublishVolume(req: { volumeId: string; targetPath: string }): Promise<void>;
  close(): void;
}

type Unary = (req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;
type Service = grpc.Client & Record<string, Unary>;

const packages = new Map<string, grpc.GrpcObject>();

function csiPackage(protoFile: string): grpc.GrpcObject {
  let p = packages.get(protoFile);
  if (!p) {
    // keepCase false: fields in lowerCamelCase as above; enums as names.
    const def = protoLoader.loadSync(protoFile, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
    p = grpc.loadPackageDefinition(def);
    packages.set(protoFile, p);
  }
  return p;
}

export function csiClient(protoFile: string, socketPath: string, timeoutMs = 30_000): CsiClient {
  const v1 = (csiPackage(protoFile).csi as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const Identity = v1.Identity as grpc.ServiceClientConstructor;
  const Node = v1.Node as grpc.ServiceClientConstructor;
  const address = `unix://${socketPath}`;
  const identity = new Identity(address, grpc.credentials.createInsecure()) as unknown as Service;
  const node = new Node(address, grpc.credentials.createInsecure()) as unknown as Service;
  const call = <T>(svc: Service, method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      svc[method]!.call(svc, req, { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err)
          reject(new Error(`CSI ${method}: ${err.code === undefined ? "" : `${grpc.status[err.code]} `}${err.details || err.message}`));
        else resolve(res as T);
      });
    });
  return {
    async probe() {
      await call(identity, "Probe", {});
    },
    async pluginName() {
      return (await call<{ name: string }>(identity, "GetPluginInfo", {})).name;
    },
    async nodeCapabilities() {
      const r = await call<{ capabilities: { rpc?: { type: string } }[] }>(node, "NodeGetCapabilities", {});
      return r.capabilities.map((c) => c.rpc?.type ?? "").filter(Boolean);
    },
    async nodePublishVolume(req) {
      await call(node, "NodePublishVolume", req);
    },
    async nodeUnpublishVolume(req) {
      await call(node, "NodeUnpublishVolume", req);
    },
    close() {
      identity.close();
      node.close();
    },
  };
}
