/** Why a long-running command stops. */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'parent exited';

/** How often a long-running command checks that the process that started it is still there. */
const PARENT_CHECK_MS = 1000;

/**
 * Calls `onStop` once, on SIGINT, SIGTERM, or when the process that started this one exits (its parent
 * id changes: `npx elt serve &` then `kill $!` signals npx, which does not pass the signal on, and the
 * command would otherwise run on, orphaned, holding its port). Returns a function that stops watching.
 */
export function onStop(callback: (reason: StopReason) => void): () => void {
  const parent = process.ppid;
  let stopped = false;
  const stop = (reason: StopReason): void => {
    if (stopped) return;
    stopped = true;
    release();
    callback(reason);
  };
  const onInt = (): void => stop('SIGINT');
  const onTerm = (): void => stop('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  const timer = setInterval(() => {
    if (process.ppid !== parent) stop('parent exited');
  }, PARENT_CHECK_MS);
  timer.unref();
  const release = (): void => {
    clearInterval(timer);
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
  return release;
}

/** Resolves when {@link onStop} fires. */
export function untilStopped(): Promise<StopReason> {
  return new Promise((resolve) => onStop(resolve));
}
