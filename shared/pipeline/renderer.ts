// The render stage behind the plan's Renderer interface (the pipeline wires siblings; the plan stays pure).
import type { Renderer } from "../plan/plan.js";
import { renderFileContent, secretDataForKey, selectHistoryVersions } from "../render/index.js";

export const providerRenderer: Renderer = {
  file: (obj, data) => renderFileContent(obj as Parameters<typeof renderFileContent>[0], data),
  history: (obj, listing) =>
    selectHistoryVersions(
      obj,
      listing.map((v) => ({ version: v.version, attributes: { enabled: v.enabled, ...(v.createdOn ? { created: v.createdOn } : {}) } })),
    ),
  secretValue: (secretType, key, file) => secretDataForKey(secretType, key, file),
};
