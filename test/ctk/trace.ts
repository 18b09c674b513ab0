/**
 * A per-run task trace (which task started, completed, faulted or was cancelled, in order), read
 * from the local runner's history. The CTK's run-order steps (`setRed should run first`,
 * `setGreen should run after setRed`) and task-outcome steps are answered from this.
 */

export type TaskPhase = 'started' | 'completed' | 'faulted' | 'cancelled';

export interface TaskEvent {
  readonly phase: TaskPhase;
  /** JSON pointer of the task (`/do/0/setRed`). */
  readonly ref: string;
  /** The task's name: the last segment of its pointer. */
  readonly name: string;
  readonly output?: unknown;
  readonly error?: Record<string, unknown>;
}

/**
 * Maps history entries to task events. Entries carry a kind naming the lifecycle step
 * (`task.started`, `taskCompleted`, …) and the task's pointer; anything else is ignored.
 */
export function taskTrace(history: readonly unknown[]): TaskEvent[] {
  const out: TaskEvent[] = [];
  for (const entry of history) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    const kind = String(e.kind ?? e.type ?? '').toLowerCase();
    if (!kind.includes('task')) continue;
    const phase = phaseOf(kind);
    const ref = e.taskRef ?? e.task_ref ?? e.ref ?? e.task ?? e.reference ?? e.pointer;
    if (!phase || typeof ref !== 'string') continue;
    const data = (typeof e.data === 'object' && e.data !== null ? e.data : e) as Record<string, unknown>;
    out.push({
      phase,
      ref,
      name: taskName(ref),
      ...('output' in data ? { output: data.output } : {}),
      ...(typeof data.error === 'object' && data.error !== null ? { error: data.error as Record<string, unknown> } : {}),
    });
  }
  return out;
}

function phaseOf(kind: string): TaskPhase | undefined {
  if (kind.includes('start')) return 'started';
  if (kind.includes('complet')) return 'completed';
  if (kind.includes('fault')) return 'faulted';
  if (kind.includes('cancel')) return 'cancelled';
  return undefined;
}

/** `/do/1/tryGetPet/try/0/getPet` → `getPet`; JSON-pointer escapes (`~1`, `~0`) are undone. */
export function taskName(ref: string): string {
  const last = ref.split('/').pop() ?? ref;
  return last.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Index of the first event of `phase` for the named task, or -1. */
export function firstIndex(trace: readonly TaskEvent[], name: string, phase: TaskPhase): number {
  return trace.findIndex((t) => t.name === name && t.phase === phase);
}

/** Task names in the order they first started. */
export function startOrder(trace: readonly TaskEvent[]): string[] {
  const seen: string[] = [];
  for (const t of trace) if (t.phase === 'started' && !seen.includes(t.name)) seen.push(t.name);
  return seen;
}

export function describeTrace(trace: readonly TaskEvent[]): string {
  return trace.length === 0 ? '(no task events in history)' : trace.map((t) => `${t.phase} ${t.ref}`).join('\n');
}
