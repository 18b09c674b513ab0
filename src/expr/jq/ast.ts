/** AST of a jq program. `pos` is a source offset, used for error positions and `$__loc__`. */

export type Pattern =
  | { readonly t: 'pvar'; readonly name: string }
  | { readonly t: 'parray'; readonly items: readonly Pattern[] }
  | {
      readonly t: 'pobject';
      readonly entries: ReadonlyArray<{ readonly key: Ast; readonly keyVar?: string; readonly value?: Pattern }>;
    };

export interface FuncDef {
  readonly name: string;
  readonly params: readonly string[]; // `$x` params keep their `$`
  readonly body: Ast;
  readonly pos: number;
}

export interface ObjEntry {
  readonly key: Ast;
  readonly value: Ast | null; // null: `{a}` / `{$x}` / `{"a"}` shorthand, value is computed from key
}

export type Ast =
  | { readonly t: 'identity' }
  | { readonly t: 'recurse' }
  | { readonly t: 'literal'; readonly value: unknown }
  | { readonly t: 'string'; readonly parts: ReadonlyArray<string | Ast>; readonly format: string | null }
  | { readonly t: 'format'; readonly name: string; readonly pos: number }
  | { readonly t: 'index'; readonly target: Ast; readonly key: Ast; readonly pos: number }
  | { readonly t: 'slice'; readonly target: Ast; readonly from: Ast | null; readonly to: Ast | null }
  | { readonly t: 'iterate'; readonly target: Ast }
  | { readonly t: 'try'; readonly body: Ast; readonly handler: Ast | null }
  | { readonly t: 'array'; readonly body: Ast | null }
  | { readonly t: 'object'; readonly entries: readonly ObjEntry[] }
  | { readonly t: 'neg'; readonly body: Ast }
  | { readonly t: 'pipe'; readonly left: Ast; readonly right: Ast }
  | { readonly t: 'comma'; readonly left: Ast; readonly right: Ast }
  | { readonly t: 'binop'; readonly op: string; readonly left: Ast; readonly right: Ast }
  | { readonly t: 'and'; readonly left: Ast; readonly right: Ast }
  | { readonly t: 'or'; readonly left: Ast; readonly right: Ast }
  | { readonly t: 'alt'; readonly left: Ast; readonly right: Ast }
  | { readonly t: 'assign'; readonly op: string; readonly left: Ast; readonly right: Ast }
  | { readonly t: 'if'; readonly cond: Ast; readonly then: Ast; readonly else: Ast | null }
  | {
      readonly t: 'reduce';
      readonly source: Ast;
      readonly patterns: readonly Pattern[];
      readonly init: Ast;
      readonly update: Ast;
    }
  | {
      readonly t: 'foreach';
      readonly source: Ast;
      readonly patterns: readonly Pattern[];
      readonly init: Ast;
      readonly update: Ast;
      readonly extract: Ast | null;
    }
  | { readonly t: 'def'; readonly def: FuncDef; readonly rest: Ast }
  | { readonly t: 'call'; readonly name: string; readonly args: readonly Ast[]; readonly pos: number }
  | { readonly t: 'var'; readonly name: string; readonly pos: number }
  | { readonly t: 'as'; readonly source: Ast; readonly patterns: readonly Pattern[]; readonly body: Ast }
  | { readonly t: 'label'; readonly name: string; readonly body: Ast }
  | { readonly t: 'break'; readonly name: string; readonly pos: number }
  | { readonly t: 'loc'; readonly line: number };
