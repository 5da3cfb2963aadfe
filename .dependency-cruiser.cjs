// The house rules for imports (issue "The house"), checked by `npm run lint`:
//   model, lib, names   leaves: import nothing of the project (lib, names: node built-ins only)
//   kube, vault  adapters at the edge: translate API objects into the model
//   config       settings, validated at start
//   signal, inventory, render, plan, apply, report, verify, expiry   stages: siblings, never import each other
//   pipeline     wires the stages; entry: host-independent triggers; cli; functions/: thin adapters
// No cycles anywhere (type-only imports included).
const STAGES = ["signal", "inventory", "render", "plan", "apply", "report", "verify", "expiry"];
const layer = (dirs) => `^shared/(${dirs.join("|")})/`;

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    {
      name: "model-imports-nothing",
      comment: "The domain model is vocabulary: it imports nothing outside shared/model.",
      severity: "error",
      from: { path: "^shared/model/" },
      to: { pathNot: ["^shared/model/"] },
    },
    {
      name: "lib-and-names-are-leaves",
      severity: "error",
      from: { path: "^shared/(lib|names)/" },
      to: { path: "^shared/", pathNot: ["^shared/$1/"] },
    },
    {
      name: "adapters-import-only-the-model",
      comment: "kube/ and vault/ translate API objects into the model; they know no stage, no pipeline, no other adapter.",
      severity: "error",
      from: { path: layer(["kube", "vault"]) },
      to: { path: "^shared/", pathNot: [layer(["model", "lib", "names"]), "^shared/$1/"] },
    },
    {
      name: "config-below-stages",
      severity: "error",
      from: { path: layer(["config"]) },
      to: { path: "^shared/", pathNot: [layer(["model", "lib", "names", "config", "vault"])] },
    },
    ...STAGES.map((stage) => ({
      name: `stage-${stage}-imports-no-sibling`,
      comment: "Stages are siblings wired only by the pipeline: none imports another stage, the pipeline or the triggers.",
      severity: "error",
      from: { path: `^shared/${stage}/` },
      to: { path: layer([...STAGES.filter((s) => s !== stage), "pipeline", "entry", "cli"]) },
    })),
    {
      name: "pipeline-below-triggers",
      severity: "error",
      from: { path: layer(["pipeline"]) },
      to: { path: layer(["entry", "cli"]) },
    },
    {
      name: "entry-below-cli",
      severity: "error",
      from: { path: layer(["entry"]) },
      to: { path: layer(["cli"]) },
    },
    {
      name: "core-independent-of-hosts",
      comment: "shared/ never imports the Functions adapters or the tests.",
      severity: "error",
      from: { path: "^shared/" },
      to: { path: "^(functions|test)/" },
    },
    {
      name: "functions-are-thin",
      comment: "Trigger adapters call the host-independent entry points (and the instance's runtime), nothing deeper.",
      severity: "error",
      from: { path: "^functions/" },
      to: {
        path: "^shared/",
        pathNot: [
          layer(["entry", "config", "model", "lib", "names"]),
          "^shared/pipeline/(instance|reconcile)\\.ts$",
          "^shared/report/report\\.ts$",
          "^shared/signal/rotate-request\\.ts$",
        ],
      },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
