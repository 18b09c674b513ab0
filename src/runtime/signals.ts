/**
 * SIGTERM/SIGINT → graceful stop, then exit (Node and Bun entries; Deno has its own signal API).
 */
import type { StartedProcess } from './start.ts';

export function exitOnSignals(proc: StartedProcess): void {
  const onSignal = (signal: NodeJS.Signals) => {
    proc.stop(signal).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
