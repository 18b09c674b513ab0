/**
 * Reads a V8 `.cpuprofile` (node --cpu-prof) and returns where the time went: the hottest
 * functions by self time, and self time summed per source file — enough to name the top cost
 * of a Weir worker without opening a profiler UI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface Hot {
  name: string;
  selfMs: number;
  pct: number;
}

export interface CpuSummary {
  file: string;
  totalMs: number;
  functions: Hot[];
  files: Hot[];
}

const root = new URL('../../', import.meta.url).pathname;
/** A frame's file relative to its checkout; the compiled worker's `dist/src/…` reads as `src/…` (.js). */
const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(root, '')
    .replace(/^.*node_modules\//, 'node_modules/')
    .replace(/^dist\/src\//, 'src/');

export function summarizeProfile(path: string, top = 15): CpuSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as { nodes: Node[]; startTime: number; endTime: number; samples: number[] };
  const totalMs = (p.endTime - p.startTime) / 1000;
  const perSample = totalMs / Math.max(1, p.samples.length);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const n of p.nodes) {
    const ms = (n.hitCount ?? 0) * perSample;
    if (!ms) continue;
    const where = n.callFrame.url ? `${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
    const name = `${n.callFrame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + ms);
    const f = n.callFrame.url ? short(n.callFrame.url).replace(/(node_modules\/(@[^/]+\/)?[^/]+)\/.*/, '$1') : n.callFrame.functionName;
    file.set(f, (file.get(f) ?? 0) + ms);
  }
  const rank = (m: Map<string, number>): Hot[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, selfMs: Math.round(ms), pct: Number(((ms * 100) / totalMs).toFixed(1)) }));
  return { file: path, totalMs: Math.round(totalMs), functions: rank(fn), files: rank(file) };
}

/** The profiles a run left in `dir` (one per worker process). */
export function profilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
}
