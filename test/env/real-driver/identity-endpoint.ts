// A managed-identity token endpoint on loopback, for the Azure provider's `useVMManagedIdentity` mode.
//
// The provider builds azidentity's ManagedIdentityCredential, which asks MSAL for the identity source: with
// IDENTITY_ENDPOINT and IDENTITY_HEADER set (and no IDENTITY_SERVER_THUMBPRINT) that is App Service
// (microsoft-authentication-library-for-go v1.6.0, apps/managedidentity GetSource), whose request is
// `GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=<resource>` with header `X-IDENTITY-HEADER`
// (createAppServiceAuthRequest) and whose answer is parsed as a token response with `expires_on` in Unix seconds.
// The Key Vault emulator accepts any bearer token, so the token is random and carries no claims.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface IdentityEndpoint {
  /** Value for IDENTITY_ENDPOINT. */
  url: string;
  /** Value for IDENTITY_HEADER. */
  header: string;
  /** Token requests answered with a token, by resource. */
  readonly issued: Record<string, number>;
  /** Requests refused (wrong header, api-version or path), with why. */
  readonly refused: string[];
  close(): Promise<void>;
}

const API_VERSION = "2019-08-01";

/** The App Service protocol's answer to one request (pure: no I/O). */
export function answerTokenRequest(
  req: { method: string; path: string; query: URLSearchParams; header: string | undefined },
  expected: { path: string; header: string },
  now: Date,
): { status: number; body: Record<string, string>; resource?: string } {
  const error = (status: number, description: string) => ({ status, body: { error: "invalid_request", error_description: description } });
  if (req.method !== "GET" || req.path !== expected.path) return error(404, `no route ${req.method} ${req.path}`);
  if (req.header !== expected.header) return error(401, "X-IDENTITY-HEADER is missing or wrong");
  if (req.query.get("api-version") !== API_VERSION) return error(400, `api-version must be ${API_VERSION}`);
  const resource = req.query.get("resource");
  if (!resource) return error(400, "resource is required");
  const expiresOn = Math.floor(now.getTime() / 1000) + 3600;
  return {
    status: 200,
    resource,
    body: {
      access_token: `kvrp-test-mi-${randomBytes(16).toString("hex")}`,
      expires_on: String(expiresOn),
      resource,
      token_type: "Bearer",
    },
  };
}

export async function startIdentityEndpoint(): Promise<IdentityEndpoint> {
  const header = randomBytes(16).toString("hex");
  const path = "/msi/token";
  const issued: Record<string, number> = {};
  const refused: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? "/", "http://127.0.0.1");
    const h = req.headers["x-identity-header"];
    const a = answerTokenRequest(
      { method: req.method ?? "GET", path: u.pathname, query: u.searchParams, header: typeof h === "string" ? h : undefined },
      { path, header },
      new Date(),
    );
    if (a.resource) issued[a.resource] = (issued[a.resource] ?? 0) + 1;
    else refused.push(`${a.status} ${a.body.error_description}`);
    res.writeHead(a.status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    header,
    issued,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
