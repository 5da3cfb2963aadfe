// When Key Vault created each version this instance has seen (latest reads, proof reads, listings): lets a warm
// instance order a version found on an object (a template annotation, a Secret's content) against the one it just
// read without asking Key Vault again. Creation times are facts about versions, never secret; bounded in size.
export class VersionAges {
  private readonly objects = new Map<string, Map<string, number>>();
  constructor(
    /** Objects remembered (least recently noted dropped first). */
    private readonly maxObjects = 20_000,
    /** Versions remembered per object (the oldest noted dropped first). */
    private readonly perObject = 16,
  ) {}

  private static key(vault: string, objectName: string): string {
    return `${vault.toLowerCase()}|${objectName}`;
  }

  note(vault: string, objectName: string, version: string, created: Date | number | undefined): void {
    if (!version || created === undefined) return;
    const k = VersionAges.key(vault, objectName);
    const m = this.objects.get(k) ?? new Map<string, number>();
    m.delete(version);
    m.set(version, typeof created === "number" ? created : created.getTime());
    if (m.size > this.perObject) m.delete(m.keys().next().value!);
    this.objects.delete(k);
    this.objects.set(k, m);
    if (this.objects.size > this.maxObjects) this.objects.delete(this.objects.keys().next().value!);
  }

  get(vault: string, objectName: string, version: string): number | undefined {
    return this.objects.get(VersionAges.key(vault, objectName))?.get(version);
  }
}
