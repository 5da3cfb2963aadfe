// The verification stage: pure decisions over observed state (records, workloads, pods, mounts, Secrets).
export {
  decodeRecord,
  encodeRecord,
  recordKey,
  recordsOf,
  recordsPatch,
  VERIFY_DONE,
  VERIFY_LABEL,
  VERIFY_PENDING,
  type Signer,
} from "./record.js";
export { deadlineSeconds, DEFAULT_DEADLINE_SECONDS, judge, podsToExplain, type Judgement, type Observed } from "./judge.js";
export { FAILING_WAITING_REASONS, notReady, podFailure } from "./pods.js";
export { rolloutProgress, TIMED_OUT_REASON, type RolloutProgress } from "./rollout.js";
export {
  finishedRecord,
  foldOutcomes,
  outcomeLine,
  ROTATION_FAILED,
  ROTATION_VERIFIED,
  verdictEvent,
  type EventText,
  type RecordEntry,
} from "./outcome.js";
export { recordsToStart, type RecordWrite, type StartedRotation } from "./start.js";
