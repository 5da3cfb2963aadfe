// The domain model every stage shares. It imports nothing outside this folder.
export * from "./action.js";
export * from "./cluster.js";
export * from "./expiry.js";
export * from "./failure.js";
export * from "./policy.js";
export * from "./report.js";
export * from "./secretsync.js";
export * from "./signal.js";
export * from "./spc.js";
export * from "./usage.js";
export * from "./vault.js";
export * from "./verify.js";
export * from "./workload.js";
