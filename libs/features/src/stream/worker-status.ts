/** Whether the stream worker is stopping or has failed; shared by its consumer loop and refresh scheduler. */
export class WorkerStatus {
  stopped = false;
  failure: Error | null = null;
  private readonly listeners: Array<(error: Error) => void> = [];

  /** Calls `listener` on the first failure. */
  onFailure(listener: (error: Error) => void): void {
    this.listeners.push(listener);
  }

  /** Records the first failure (later ones add nothing) and tells the listeners. */
  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = error instanceof Error ? error : new Error(String(error));
    for (const listener of this.listeners) listener(this.failure);
  }
}
