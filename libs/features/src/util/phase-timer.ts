/** Measures the phases of one piece of work (ingest, materialisation), in milliseconds. */
export class PhaseTimer {
  readonly phases: Record<string, number> = {};
  private last = Date.now();

  /** Adds the time since the previous mark to `phase`. */
  mark(phase: string): void {
    const now = Date.now();
    this.phases[phase] = (this.phases[phase] ?? 0) + now - this.last;
    this.last = now;
  }
}
