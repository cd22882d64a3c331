/**
 * Runs a piece of work so that at most one run is in flight and at most one is pending: requests
 * made while it runs collapse into a single rerun that sees the newest state. A person writing
 * faster than the server reads never builds a queue; the newest ink always gets read.
 */
export class LatestWins {
  private running: Promise<void> | null = null;
  private pending = false;
  private stopped = false;

  constructor(private readonly work: () => Promise<void>) {}

  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.pending = false;
        await this.work();
      } while (this.pending && !this.stopped);
    } finally {
      this.running = null;
    }
  }

  /** Resolves once the run in flight, if any, and its pending rerun have finished. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    this.pending = false;
  }
}
