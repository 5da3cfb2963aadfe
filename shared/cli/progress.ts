// A progress line on stderr for long runs: only when stderr is a terminal, only after a short delay, erased at the end
// (so pipes, CI logs and --output json stay clean).
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  private readonly t0 = Date.now();
  private frame = 0;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: string,
    private readonly opts: { delayMs?: number; intervalMs?: number } = {},
  ) {}

  start(): this {
    if (!this.stream.isTTY) return this;
    const tick = () => {
      this.shown = true;
      const s = ((Date.now() - this.t0) / 1000).toFixed(1);
      this.stream.write(`\r\x1b[K${FRAMES[this.frame++ % FRAMES.length]} ${this.label} ${s} s`);
    };
    this.timer = setTimeout(() => {
      tick();
      this.timer = setInterval(tick, this.opts.intervalMs ?? 100);
      this.timer.unref();
    }, this.opts.delayMs ?? 300);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      clearInterval(this.timer);
      this.timer = undefined;
    }
    if (this.shown) this.stream.write("\r\x1b[K");
    this.shown = false;
  }
}
