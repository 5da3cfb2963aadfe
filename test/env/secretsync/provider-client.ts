// The provider API (secrets-store-csi-driver provider/v1alpha1, the proto staged by build-sync.sh) over a provider's
// unix socket: what the sync controller calls (pkg/provider MountContent) to fetch a SecretProviderClass's objects.
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export interface MountResult {
  objectVersions: Record<string, string>;
  files: Record<string, Buffer>;
}

export interface ProviderClient {
  /** Mount as the controller sends it: attributes JSON, no node-publish secrets, permission 0644, a fixed target path. */
  mount(attributes: Record<string, string>): Promise<MountResult>;
  close(): void;
}

/** A provider's answer that carries an error code (MountResponse.error), as the controller reports it. */
export class ProviderError extends Error {}

type Unary = (req: unknown, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export function providerClient(protoFile: string, socketPath: string, timeoutMs = 30_000): ProviderClient {
  const def = protoLoader.loadSync(protoFile, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const v1alpha1 = (grpc.loadPackageDefinition(def).v1alpha1 as grpc.GrpcObject).CSIDriverProvider as grpc.ServiceClientConstructor;
  const client = new v1alpha1(`unix://${socketPath}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { mount: Unary };
  return {
    mount: (attributes) =>
      new Promise((resolve, reject) => {
        const req = {
          attributes: JSON.stringify(attributes),
          secrets: "{}",
          // json.Marshal(os.FileMode(0644)) in the controller
          permission: "420",
          currentObjectVersion: [],
          targetPath: "/mnt/secrets-store",
        };
        client.mount(req, { deadline: Date.now() + timeoutMs }, (err, res) => {
          if (err) return reject(err);
          const r = res as {
            error?: { code?: string };
            objectVersion?: { id: string; version: string }[];
            files?: { path: string; contents: Buffer }[];
          };
          if (r.error?.code) return reject(new ProviderError(`mount request failed with provider error code ${r.error.code}`));
          if (!r.objectVersion?.length) return reject(new ProviderError("missing object versions"));
          resolve({
            objectVersions: Object.fromEntries(r.objectVersion.map((o) => [o.id, o.version])),
            files: Object.fromEntries((r.files ?? []).map((f) => [f.path, Buffer.from(f.contents)])),
          });
        });
      }),
    close: () => client.close(),
  };
}
