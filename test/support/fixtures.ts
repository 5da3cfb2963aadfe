// Kubernetes object shapes as users write them (no test-runner imports: the demo and the benchmark use them too).

/** The `objects` parameter exactly as users write it: a YAML string with `array:` of YAML strings. */
export function objectsYaml(objects: Record<string, string | number>[]): string {
  const items = objects.map(
    (o) =>
      "    - |\n" +
      Object.entries(o)
        .map(([k, v]) => `      ${k}: ${typeof v === "number" ? v : `"${v}"`}`)
        .join("\n"),
  );
  return `array:\n${items.join("\n")}\n`;
}

export type Consumption = { env?: string[]; envFrom?: string[]; secretVolume?: string; spc?: string };

export function podTemplate(name: string, use: Consumption, annotations: Record<string, string> = {}) {
  return {
    metadata: { labels: { app: name }, annotations },
    spec: {
      containers: [
        {
          name: "app",
          image: "registry.local/app:1",
          env: (use.env ?? []).map((s, i) => ({ name: `SECRET_${i}`, valueFrom: { secretKeyRef: { name: s, key: "password" } } })),
          envFrom: (use.envFrom ?? []).map((s) => ({ secretRef: { name: s } })),
        },
      ],
      volumes: [
        ...(use.secretVolume ? [{ name: "sec", secret: { secretName: use.secretVolume } }] : []),
        ...(use.spc
          ? [
              {
                name: "csi",
                csi: { driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: use.spc } },
              },
            ]
          : []),
      ],
    },
  };
}
