/**
 * Runs `work` now and then every `intervalMs`, for the background jobs (the
 * account purge, retention). A run never overlaps the one before it: if one is
 * still going when the next is due, that tick is skipped. Every error a run
 * throws goes to `onError` (and to the console if there is none, or if
 * `onError` itself throws), never to an unhandled rejection; the next run tries
 * again. The timer does not keep the process alive.
 *
 * Returns `stop`: it clears the timer and resolves once a run in progress has
 * ended, so a graceful shutdown can close the database after it.
 */
export function startSchedule(work: () => Promise<void>, intervalMs: number, onError?: (error: unknown) => void): () => Promise<void> {
  let running: Promise<void> | null = null;
  const report = (error: unknown) => {
    try {
      if (onError) return onError(error);
    } catch {
      // fall through to the console
    }
    console.error('[schedule] a background job failed:', error instanceof Error ? error.message : String(error));
  };
  const run = () => {
    if (running) return;
    running = (async () => {
      try {
        await work();
      } catch (error) {
        report(error);
      } finally {
        running = null;
      }
    })();
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
