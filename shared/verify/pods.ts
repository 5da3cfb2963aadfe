// How a pod is doing, as kubelet reports it in its container statuses: the waiting reasons that mean it will not
// come up by itself (a crash loop, an image that cannot be pulled, a container that cannot be created — e.g. an env
// var naming a Secret key that does not exist), and why a pod that is merely not ready yet is not.
import type { ContainerObservation, PodObservation, VerifyProblem } from "../model/index.js";

/**
 * kubelet's waiting reasons that fail a rotation at once (pkg/kubelet/images and kuberuntime: ErrImagePull,
 * ImagePullBackOff, InvalidImageName, ErrImageNeverPull; CreateContainerConfigError, CreateContainerError,
 * RunContainerError; and the back-off after a container exited: CrashLoopBackOff).
 */
export const FAILING_WAITING_REASONS = new Set([
  "CrashLoopBackOff",
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "ErrImageNeverPull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "RunContainerError",
]);

const one = (s: string | undefined, max = 200) => (s ?? "").replace(/\s+/g, " ").trim().slice(0, max);

function containerTrouble(c: ContainerObservation, init: boolean): string | undefined {
  const which = `${init ? "init container" : "container"} ${c.name}`;
  if (c.waiting && FAILING_WAITING_REASONS.has(c.waiting.reason)) {
    const last = c.lastTerminated
      ? `, last exit code ${c.lastTerminated.exitCode} (${c.lastTerminated.reason})`
      : c.waiting.message
        ? `: ${one(c.waiting.message)}`
        : "";
    return `${c.waiting.reason}: ${which}, ${c.restartCount} restart(s)${last}`;
  }
  return undefined;
}

/** A problem that fails the rotation now (it will not resolve by waiting), or undefined. */
export function podFailure(p: PodObservation): VerifyProblem | undefined {
  if (p.phase === "Failed") return { pod: p.name, reason: "PodFailed", detail: `pod ${p.name} failed (phase Failed)` };
  for (const [list, init] of [
    [p.initContainers, true],
    [p.containers, false],
  ] as const)
    for (const c of list) {
      const t = containerTrouble(c, init);
      if (t) return { pod: p.name, reason: t.slice(0, t.indexOf(":")), detail: `pod ${p.name}: ${t}` };
    }
  return undefined;
}

/** Why a pod is not ready (yet): its first waiting or terminated container, and the Warning Events read for it. */
export function notReady(p: PodObservation): VerifyProblem {
  const c = [...p.initContainers, ...p.containers].find((x) => !x.ready && (x.waiting || x.terminated));
  const why = c?.waiting
    ? `${c.waiting.reason}${c.waiting.message ? ` (${one(c.waiting.message, 120)})` : ""}`
    : c?.terminated
      ? `container ${c.name} terminated: ${c.terminated.reason}, exit code ${c.terminated.exitCode}`
      : p.phase === "Pending"
        ? "Pending"
        : "Ready condition not True";
  const warnings = p.warnings?.length ? `; ${p.warnings.join("; ")}` : "";
  const reason = /FailedMount/.test(warnings) ? "FailedMount" : (c?.waiting?.reason ?? "NotReady");
  return { pod: p.name, reason, detail: `pod ${p.name} not ready: ${why}${warnings}` };
}
