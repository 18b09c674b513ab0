/**
 * jq modules: `import "p" as name;`, `import "p" as $data;`, `include "p";`, `modulemeta`.
 * There is no filesystem: module sources come from `CompileOptions.modules`, keyed by relative
 * path ("a" for a.jq; "data.json" or "data" for data). Search paths in metadata are recorded
 * (for `modulemeta`) but not used for resolution.
 */
import type { Native } from './code.ts';
import { Compiler, withBinding, type FnInfo, type Scope } from './compile.ts';
import * as errorsModule from './errors.ts';
const { JqError, positionOf } = errorsModule;
const fail: typeof errorsModule.fail = errorsModule.fail;
import { parseJson } from './json.ts';
import { parseProgram, type Directive } from './parser.ts';
import * as runtimeModule from './runtime.ts';
const { R } = runtimeModule;

export type ModuleSources = Readonly<Record<string, string>>;

interface Exported {
  readonly name: string;
  readonly fn: FnInfo;
}

export interface ModuleContext {
  readonly sources: ModuleSources;
  readonly natives: ConstructorParameters<typeof Compiler>[0]['natives'];
  /** Scope every module starts from: the builtins. */
  readonly base: Scope;
  readonly loaded: Map<string, readonly Exported[]>;
  readonly loading: Set<string>;
}

function notFound(src: string, d: Directive, what: string): never {
  const { line, column } = positionOf(src, d.pos);
  throw new JqError('compile', `${what} "${d.path}" not found at line ${line}, column ${column}`, { line, column });
}

/** All JSON values of a data file, as jq binds them: an array. */
function readData(text: string): unknown[] {
  const out: unknown[] = [];
  const t = text.trim();
  if (t === '') return out;
  try {
    out.push(parseJson(t));
    return out;
  } catch {
    // several concatenated values: split on line boundaries between top-level values
    for (const line of t.split('\n')) if (line.trim()) out.push(parseJson(line));
    return out;
  }
}

function loadModule(mc: ModuleContext, path: string, fromSrc: string, d: Directive): readonly Exported[] {
  const hit = mc.loaded.get(path);
  if (hit) return hit;
  const src = mc.sources[path] ?? mc.sources[path + '.jq'];
  if (src === undefined) return notFound(fromSrc, d, 'module');
  if (mc.loading.has(path)) throw new JqError('compile', `module "${path}" imports itself`);
  mc.loading.add(path);
  const parsed = parseProgram(src, true);
  const compiler = new Compiler({ src, natives: mc.natives });
  let scope = bindDirectives(mc, parsed.directives, mc.base, src);
  const exported: Exported[] = [];
  for (const def of parsed.defs) {
    scope = compiler.define(def, scope);
    exported.push({ name: def.name, fn: Compiler.definedFn(scope) });
  }
  mc.loading.delete(path);
  mc.loaded.set(path, exported);
  return exported;
}

/** Extends `scope` with what a program's (or module's) directives bring in. */
export function bindDirectives(mc: ModuleContext, directives: readonly Directive[], scope: Scope, src: string): Scope {
  let s = scope;
  for (const d of directives) {
    if (d.isData) {
      const text = mc.sources[d.path + '.json'] ?? mc.sources[d.path];
      if (text === undefined) notFound(src, d, 'data');
      const value = readData(text!);
      s = withBinding(s, { kind: 'const', name: d.alias!, value });
      s = withBinding(s, { kind: 'const', name: `${d.alias}::${d.alias}`, value });
      continue;
    }
    const prefix = d.kind === 'import' ? `${d.alias}::` : '';
    for (const e of loadModule(mc, d.path, src, d)) s = withBinding(s, { kind: 'func', name: prefix + e.name, fn: e.fn });
  }
  return s;
}

function modulemeta(input: unknown): unknown {
  if (typeof input !== 'string') return fail('modulemeta input module not a string');
  const src = R.modules[input] ?? R.modules[input + '.jq'];
  if (src === undefined) return fail(`module not found: ${input}`);
  const parsed = parseProgram(src, true);
  return {
    ...parsed.meta,
    deps: parsed.directives.map((d) => ({
      ...d.meta,
      ...(d.alias === null ? {} : { as: d.alias }),
      is_data: d.isData,
      relpath: d.path,
    })),
    defs: parsed.defs.map((f) => `${f.name}/${f.params.length}`),
  };
}

export const MODULE_BUILTINS: Record<string, Native> = {
  'modulemeta/0': { fn: modulemeta },
  'get_search_list/0': { fn: () => [] },
};
