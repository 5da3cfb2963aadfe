// HTTP triggers (auth level function): `POST /api/rotate`, `GET /api/plan`, `GET /api/drift`, `GET /api/status`. Translates the host's
// request to the core (shared/entry/http-api.ts) and back; nothing else.
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from "@azure/functions";
import { handleHttpRequest, type HttpRoute } from "../shared/entry/http-api.js";
import { contextLog } from "../shared/entry/log.js";
import { getRuntime } from "../shared/pipeline/instance.js";
import { MAX_REQUEST_BYTES } from "../shared/signal/rotate-request.js";

function handlerFor(route: HttpRoute) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const contentLength = request.headers.get("content-length");
    // Declared too large: answer 413 without reading the body (handleHttpRequest repeats the check on the text).
    const tooLarge = contentLength !== null && Number(contentLength) > MAX_REQUEST_BYTES;
    const bodyText = route === "rotate" && !tooLarge ? await request.text() : "";
    const out = await handleHttpRequest(getRuntime, {
      route,
      method: request.method,
      url: request.url,
      bodyText,
      contentType: request.headers.get("content-type"),
      contentLength,
      invocationId: context.invocationId,
      log: contextLog(context),
    });
    return { status: out.status, jsonBody: out.jsonBody, headers: out.headers };
  };
}

export const rotate = handlerFor("rotate");
export const plan = handlerFor("plan");
export const drift = handlerFor("drift");
export const status = handlerFor("status");

app.http("rotate", { methods: ["POST"], authLevel: "function", route: "rotate", handler: rotate });
app.http("plan", { methods: ["GET"], authLevel: "function", route: "plan", handler: plan });
app.http("drift", { methods: ["GET"], authLevel: "function", route: "drift", handler: drift });
app.http("status", { methods: ["GET"], authLevel: "function", route: "status", handler: status });
