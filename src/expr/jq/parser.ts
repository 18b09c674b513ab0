/**
 * Recursive-descent parser for jq 1.7.1. Operator precedence follows jq's grammar (lowest first):
 * `|` (right), `,`, `//` (right), assignments (non-assoc), `or`, `and`, comparisons (non-assoc),
 * `+ -`, `* / %`, unary minus, postfix (`?`, `.x`, `[…]`), then terms. `try` binds a postfix term.
 */
import type { Ast, FuncDef, ObjEntry, Pattern } from './ast.ts';
import { JqError, positionOf } from './errors.ts';
import { tokenize, type Token } from './lexer.ts';

const KEYWORDS = new Set([
  'def', 'if', 'then', 'elif', 'else', 'end', 'as', 'reduce', 'foreach', 'try', 'catch', 'label',
  'import', 'include', 'and', 'or', '__loc__', 'module',
]);
const ASSIGN_OPS = new Set(['=', '|=', '+=', '-=', '*=', '/=', '%=', '//=']);
const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);

export function parse(src: string): Ast {
  const { tokens } = tokenize(src);
  const p = new Parser(src, tokens);
  const ast = p.parsePipe(false);
  p.expectEof();
  return ast;
}

/** `import "path" as name;`, `import "path" as $name;` (data) or `include "path";`. */
export interface Directive {
  readonly kind: 'import' | 'include';
  readonly path: string;
  readonly alias: string | null;
  readonly isData: boolean;
  readonly meta: Record<string, unknown> | null;
  readonly pos: number;
}

export interface ParsedProgram {
  readonly meta: Record<string, unknown> | null;
  readonly directives: readonly Directive[];
  /** The main program's expression (null for a module). */
  readonly body: Ast | null;
  /** A module's definitions. */
  readonly defs: readonly FuncDef[];
}

/** Parses a main program (`asModule` false) or a module file, with its module directives. */
export function parseProgram(src: string, asModule: boolean): ParsedProgram {
  const { tokens } = tokenize(src);
  const p = new Parser(src, tokens);
  return p.parseProgram(asModule);
}

function constantValue(ast: Ast): { ok: boolean; value?: unknown } {
  switch (ast.t) {
    case 'literal':
      return { ok: true, value: ast.value };
    case 'neg': {
      const v = constantValue(ast.body);
      return v.ok && typeof v.value === 'number' ? { ok: true, value: -v.value } : { ok: false };
    }
    case 'array': {
      const out: unknown[] = [];
      const walk = (a: Ast | null): boolean => {
        if (a === null) return true;
        if (a.t === 'comma') return walk(a.left) && walk(a.right);
        const v = constantValue(a);
        if (v.ok) out.push(v.value);
        return v.ok;
      };
      return walk(ast.body) ? { ok: true, value: out } : { ok: false };
    }
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const e of ast.entries) {
        const k = constantValue(e.key);
        if (!k.ok || typeof k.value !== 'string' || e.value === null) return { ok: false };
        const v = e.value.t === 'index' ? { ok: false } : constantValue(e.value);
        if (!v.ok) return { ok: false };
        o[k.value] = v.value;
      }
      return { ok: true, value: o };
    }
  }
  return { ok: false };
}

class Parser {
  private i = 0;
  private readonly src: string;
  private readonly tokens: Token[];

  constructor(src: string, tokens: Token[]) {
    this.src = src;
    this.tokens = tokens;
  }

  private get tok(): Token {
    return this.tokens[this.i];
  }

  private fail(msg: string, tok: Token = this.tok): never {
    const { line, column } = positionOf(this.src, tok.pos);
    throw new JqError('parse', `syntax error: ${msg} at line ${line}, column ${column}`, { line, column });
  }

  private describe(tok: Token): string {
    if (tok.kind === 'eof') return 'end of input';
    if (tok.kind === 'str') return 'string';
    if (tok.kind === 'num') return `number ${tok.text}`;
    if (tok.kind === 'field') return `.${tok.text}`;
    if (tok.kind === 'var') return `$${tok.text}`;
    if (tok.kind === 'format') return `@${tok.text}`;
    return `'${tok.text}'`;
  }

  private compileFail(msg: string, tok: Token): never {
    const { line, column } = positionOf(this.src, tok.pos);
    throw new JqError('compile', `${msg} at line ${line}, column ${column}`, { line, column });
  }

  private parseMeta(): Record<string, unknown> {
    const start = this.tok;
    const v = constantValue(this.parsePostfix(false));
    if (!v.ok) this.compileFail('Module metadata must be constant', start);
    if (typeof v.value !== 'object' || v.value === null || Array.isArray(v.value)) {
      this.compileFail('Module metadata must be an object', start);
    }
    return v.value as Record<string, unknown>;
  }

  private parseImportPath(): string {
    const t = this.tok;
    if (t.kind !== 'str') this.fail(`unexpected ${this.describe(t)}, expecting string`);
    if (t.badEscape !== undefined) {
      this.compileFail(`Invalid escape at line 1, column ${t.badEscape.length} (while parsing '${t.badEscape}')`, t);
    }
    if (t.parts!.some((x) => typeof x !== 'string')) this.compileFail('Import path must be constant', t);
    this.i++;
    return t.parts!.join('');
  }

  parseProgram(asModule: boolean): ParsedProgram {
    let meta: Record<string, unknown> | null = null;
    if (this.isKw('module')) {
      this.i++;
      meta = this.parseMeta();
      this.expectOp(';');
    }
    const directives: Directive[] = [];
    while (this.isKw('import') || this.isKw('include')) {
      const kw = this.tok;
      this.i++;
      const path = this.parseImportPath();
      let alias: string | null = null;
      let isData = false;
      if (kw.text === 'import') {
        this.expectKw('as');
        const a = this.tok;
        if (a.kind === 'var') isData = true;
        else if (a.kind !== 'ident') this.fail(`unexpected ${this.describe(a)}, expecting IDENT or $`);
        alias = a.text;
        this.i++;
      }
      const dmeta = this.isOp(';') ? null : this.parseMeta();
      this.expectOp(';');
      directives.push({ kind: kw.text as 'import' | 'include', path, alias, isData, meta: dmeta, pos: kw.pos });
    }
    if (!asModule) {
      const body = this.parsePipe(false);
      this.expectEof();
      return { meta, directives, body, defs: [] };
    }
    const defs: FuncDef[] = [];
    while (this.isKw('def')) defs.push(this.parseDef());
    this.expectEof();
    return { meta, directives, body: null, defs };
  }

  expectEof(): void {
    if (this.tok.kind !== 'eof') this.fail(`unexpected ${this.describe(this.tok)}`);
  }

  private isOp(text: string): boolean {
    const t = this.tok;
    return t.kind === 'op' && t.text === text;
  }
  private isKw(text: string): boolean {
    const t = this.tok;
    return t.kind === 'ident' && t.text === text;
  }
  private eatOp(text: string): boolean {
    if (this.isOp(text)) {
      this.i++;
      return true;
    }
    return false;
  }
  private expectOp(text: string): void {
    if (!this.eatOp(text)) this.fail(`unexpected ${this.describe(this.tok)}, expecting '${text}'`);
  }
  private expectKw(text: string): void {
    if (!this.isKw(text)) this.fail(`unexpected ${this.describe(this.tok)}, expecting '${text}'`);
    this.i++;
  }

  /** Pipe level. `noComma` is set for object values, where `,` separates entries. */
  parsePipe(noComma: boolean): Ast {
    if (this.isKw('def')) {
      const def = this.parseDef();
      const rest = this.parsePipe(noComma);
      return { t: 'def', def, rest };
    }
    const left = noComma ? this.parseAlt() : this.parseComma();
    if (this.eatOp('|')) return { t: 'pipe', left, right: this.parsePipe(noComma) };
    return left;
  }

  private parseComma(): Ast {
    let left = this.parseAlt();
    while (this.eatOp(',')) left = { t: 'comma', left, right: this.parseAlt() };
    return left;
  }

  private parseAlt(): Ast {
    const left = this.parseAssign();
    if (this.eatOp('//')) return { t: 'alt', left, right: this.parseAlt() };
    return left;
  }

  private parseAssign(): Ast {
    const left = this.parseOr();
    const t = this.tok;
    if (t.kind === 'op' && ASSIGN_OPS.has(t.text)) {
      this.i++;
      // jq's grammar makes `a = b // c` read as `(a = b) // c`; the right side stops at `//`.
      const right = this.parseOr();
      return { t: 'assign', op: t.text, left, right };
    }
    return left;
  }

  private parseOr(): Ast {
    let left = this.parseAnd();
    while (this.isKw('or')) {
      this.i++;
      left = { t: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Ast {
    let left = this.parseCompare();
    while (this.isKw('and')) {
      this.i++;
      left = { t: 'and', left, right: this.parseCompare() };
    }
    return left;
  }

  private parseCompare(): Ast {
    const left = this.parseAdditive();
    const t = this.tok;
    if (t.kind === 'op' && COMPARE_OPS.has(t.text)) {
      this.i++;
      const right = this.parseAdditive();
      const n = this.tok;
      if (n.kind === 'op' && COMPARE_OPS.has(n.text)) this.fail(`unexpected '${n.text}'`);
      return { t: 'binop', op: t.text, left, right };
    }
    return left;
  }

  private parseAdditive(): Ast {
    let left = this.parseMultiplicative();
    while (true) {
      const t = this.tok;
      if (t.kind === 'op' && (t.text === '+' || t.text === '-')) {
        this.i++;
        left = { t: 'binop', op: t.text, left, right: this.parseMultiplicative() };
      } else return left;
    }
  }

  private parseMultiplicative(): Ast {
    let left = this.parseUnary();
    while (true) {
      const t = this.tok;
      if (t.kind === 'op' && (t.text === '*' || t.text === '/' || t.text === '%')) {
        this.i++;
        left = { t: 'binop', op: t.text, left, right: this.parseUnary() };
      } else return left;
    }
  }

  /** jq's `'-' Exp` takes the precedence of binary minus: `-1 * x` is `-(1 * x)`. */
  private parseUnary(): Ast {
    if (this.eatOp('-')) return { t: 'neg', body: this.parseMultiplicative() };
    return this.parsePostfix(true);
  }

  /** A term with its suffixes; when `allowAs`, `term as $x | body` is consumed here too. */
  private parsePostfix(allowAs: boolean): Ast {
    let term = this.parseTerm();
    let optional = false;
    while (true) {
      const t = this.tok;
      if (optional && t.kind === 'ident' && t.text === 'as') this.fail("unexpected 'as' after '?'");
      // `.a?`, `.[]?` stay terms (`.[]? as $x` is valid); `(e)?`, `f?` do not (jq's grammar)
      optional = t.kind === 'op' && (t.text === '?' || t.text === '?//') && term.t !== 'index' && term.t !== 'slice' && term.t !== 'iterate';
      if (t.kind === 'field') {
        this.i++;
        term = { t: 'index', target: term, key: { t: 'literal', value: t.text }, pos: t.pos };
      } else if (t.kind === 'op' && t.text === '.' && this.tokens[this.i + 1].kind === 'str') {
        this.i++;
        const key = this.parseStringToken(null);
        term = { t: 'index', target: term, key, pos: t.pos };
      } else if (t.kind === 'op' && t.text === '.' && this.tokens[this.i + 1].kind === 'op' && this.tokens[this.i + 1].text === '[') {
        this.i++;
        term = this.parseBracketSuffix(term);
      } else if (t.kind === 'op' && t.text === '[') {
        term = this.parseBracketSuffix(term);
      } else if (t.kind === 'op' && t.text === '?') {
        this.i++;
        term = { t: 'try', body: term, handler: null };
      } else if (t.kind === 'op' && t.text === '?//') {
        // outside a destructuring, `a?//b` is `a? // b`
        this.tokens[this.i] = { kind: 'op', text: '//', pos: t.pos + 1 };
        term = { t: 'try', body: term, handler: null };
      } else if (allowAs && t.kind === 'ident' && t.text === 'as') {
        this.i++;
        const patterns = this.parsePatterns();
        this.expectOp('|');
        const body = this.parsePipe(false);
        return { t: 'as', source: term, patterns, body };
      } else return term;
    }
  }

  private parseBracketSuffix(target: Ast): Ast {
    const open = this.tok;
    this.expectOp('[');
    if (this.eatOp(']')) return { t: 'iterate', target };
    if (this.eatOp(':')) {
      const to = this.parsePipe(false);
      this.expectOp(']');
      return { t: 'slice', target, from: null, to };
    }
    const key = this.parsePipe(false);
    if (this.eatOp(':')) {
      if (this.eatOp(']')) return { t: 'slice', target, from: key, to: null };
      const to = this.parsePipe(false);
      this.expectOp(']');
      return { t: 'slice', target, from: key, to };
    }
    this.expectOp(']');
    return { t: 'index', target, key, pos: open.pos };
  }

  private parseStringToken(format: string | null): Ast {
    const t = this.tok;
    if (t.kind !== 'str') this.fail(`unexpected ${this.describe(t)}, expecting string`);
    if (t.badEscape !== undefined) this.fail(`invalid escape in ${t.badEscape}`);
    this.i++;
    const parts: Array<string | Ast> = [];
    for (const part of t.parts!) {
      if (typeof part === 'string') parts.push(part);
      else {
        const sub = new Parser(this.src, part);
        const ast = sub.parsePipe(false);
        sub.expectEof();
        parts.push(ast);
      }
    }
    if (parts.length === 1 && typeof parts[0] === 'string') return { t: 'literal', value: parts[0] };
    return { t: 'string', parts, format };
  }

  private parseTerm(): Ast {
    const t = this.tok;
    switch (t.kind) {
      case 'num':
        this.i++;
        return { t: 'literal', value: t.num };
      case 'str':
        return this.parseStringToken(null);
      case 'format': {
        this.i++;
        if (this.tok.kind === 'str') {
          const s = this.parseStringToken(t.text);
          if (s.t === 'literal') return s;
          return s;
        }
        return { t: 'format', name: t.text, pos: t.pos };
      }
      case 'field':
        this.i++;
        return { t: 'index', target: { t: 'identity' }, key: { t: 'literal', value: t.text }, pos: t.pos };
      case 'var':
        this.i++;
        if (t.text === '__loc__') return { t: 'loc', line: positionOf(this.src, t.pos).line };
        return { t: 'var', name: t.text, pos: t.pos };
      case 'op':
        return this.parseOpTerm(t);
      case 'ident':
        return this.parseIdentTerm(t);
      default:
        return this.fail(`unexpected ${this.describe(t)}`);
    }
  }

  private parseOpTerm(t: Token): Ast {
    switch (t.text) {
      case '.': {
        this.i++;
        if (this.tok.kind === 'str') {
          const key = this.parseStringToken(null);
          return { t: 'index', target: { t: 'identity' }, key, pos: t.pos };
        }
        if (this.isOp('[')) return this.parseBracketSuffix({ t: 'identity' });
        return { t: 'identity' };
      }
      case '..':
        this.i++;
        return { t: 'recurse' };
      case '(': {
        this.i++;
        const e = this.parsePipe(false);
        this.expectOp(')');
        return e;
      }
      case '[': {
        this.i++;
        if (this.eatOp(']')) return { t: 'array', body: null };
        const body = this.parsePipe(false);
        this.expectOp(']');
        return { t: 'array', body };
      }
      case '{':
        this.i++;
        return this.parseObject();
      default:
        return this.fail(`unexpected ${this.describe(t)}`);
    }
  }

  private parseIdentTerm(t: Token): Ast {
    const name = t.text;
    switch (name) {
      case 'if':
        return this.parseIf();
      case 'try': {
        this.i++;
        const body = this.parsePostTry();
        let handler: Ast | null = null;
        if (this.isKw('catch')) {
          this.i++;
          handler = this.parsePostTry();
        }
        return { t: 'try', body, handler };
      }
      case 'reduce': {
        this.i++;
        const source = this.parsePostfix(false);
        this.expectKw('as');
        const patterns = this.parsePatterns();
        this.expectOp('(');
        const init = this.parsePipe(false);
        this.expectOp(';');
        const update = this.parsePipe(false);
        this.expectOp(')');
        return { t: 'reduce', source, patterns, init, update };
      }
      case 'foreach': {
        this.i++;
        const source = this.parsePostfix(false);
        this.expectKw('as');
        const patterns = this.parsePatterns();
        this.expectOp('(');
        const init = this.parsePipe(false);
        this.expectOp(';');
        const update = this.parsePipe(false);
        let extract: Ast | null = null;
        if (this.eatOp(';')) extract = this.parsePipe(false);
        this.expectOp(')');
        return { t: 'foreach', source, patterns, init, update, extract };
      }
      case 'label': {
        this.i++;
        const v = this.tok;
        if (v.kind !== 'var') this.fail(`unexpected ${this.describe(v)}, expecting '$'`);
        this.i++;
        this.expectOp('|');
        const body = this.parsePipe(false);
        return { t: 'label', name: v.text, body };
      }
      case 'def': {
        const def = this.parseDef();
        const rest = this.parsePipe(false);
        return { t: 'def', def, rest };
      }
      case 'break': {
        this.i++;
        const v = this.tok;
        if (v.kind !== 'var') this.fail(`unexpected ${this.describe(v)}, expecting '$'`);
        this.i++;
        return { t: 'break', name: v.text, pos: t.pos };
      }
      case 'import':
      case 'include':
      case 'module':
        return this.fail(`'${name}' directives must come first in a program`);
    }
    if (KEYWORDS.has(name)) this.fail(`unexpected keyword '${name}'`);
    this.i++;
    if (name === 'null' || name === 'true' || name === 'false') {
      return { t: 'literal', value: name === 'null' ? null : name === 'true' };
    }
    const args: Ast[] = [];
    if (this.eatOp('(')) {
      args.push(this.parsePipe(false));
      while (this.eatOp(';')) args.push(this.parsePipe(false));
      this.expectOp(')');
    }
    return { t: 'call', name, args, pos: t.pos };
  }

  /** Body of `try` / `catch`: a postfix term (jq gives `try` the highest precedence). */
  private parsePostTry(): Ast {
    // jq 1.7.1 accepts `try -x` (jq 1.7 did not)
    if (this.eatOp('-')) return { t: 'neg', body: this.parsePostTry() };
    return this.parsePostfix(false);
  }

  private parseIf(): Ast {
    this.expectKw('if');
    const cond = this.parsePipe(false);
    this.expectKw('then');
    const then = this.parsePipe(false);
    if (this.isKw('elif')) {
      // `elif` is an `if` nested in the else branch, closed by the same `end`
      this.tokens[this.i] = { kind: 'ident', text: 'if', pos: this.tok.pos };
      const rest = this.parseIf();
      return { t: 'if', cond, then, else: rest };
    }
    let els: Ast | null = null;
    if (this.isKw('else')) {
      this.i++;
      els = this.parsePipe(false);
    }
    this.expectKw('end');
    return { t: 'if', cond, then, else: els };
  }

  private parseDef(): FuncDef {
    const start = this.tok;
    this.expectKw('def');
    const nameTok = this.tok;
    if (nameTok.kind !== 'ident' || KEYWORDS.has(nameTok.text)) this.fail(`unexpected ${this.describe(nameTok)}, expecting IDENT`);
    this.i++;
    const params: string[] = [];
    if (this.eatOp('(')) {
      do {
        const p = this.tok;
        if (p.kind === 'var') params.push('$' + p.text);
        else if (p.kind === 'ident' && !KEYWORDS.has(p.text)) params.push(p.text);
        else this.fail(`unexpected ${this.describe(p)}, expecting parameter`);
        this.i++;
      } while (this.eatOp(';'));
      this.expectOp(')');
    }
    this.expectOp(':');
    const body = this.parsePipe(false);
    this.expectOp(';');
    return { name: nameTok.text, params, body, pos: start.pos };
  }

  private parsePatterns(): Pattern[] {
    const out = [this.parsePattern()];
    while (this.eatOp('?//')) out.push(this.parsePattern());
    return out;
  }

  private parsePattern(): Pattern {
    const t = this.tok;
    if (t.kind === 'var') {
      this.i++;
      if (t.text === '__loc__') this.fail('cannot bind $__loc__');
      return { t: 'pvar', name: t.text };
    }
    if (this.eatOp('[')) {
      const items: Pattern[] = [];
      if (this.isOp(']')) this.fail(`unexpected ']', expecting '$' or '[' or '{'`);
      do items.push(this.parsePattern());
      while (this.eatOp(','));
      this.expectOp(']');
      return { t: 'parray', items };
    }
    if (this.eatOp('{')) {
      const entries: Array<{ key: Ast; keyVar?: string; value?: Pattern }> = [];
      do {
        const k = this.tok;
        if (k.kind === 'var') {
          this.i++;
          const key: Ast = { t: 'literal', value: k.text };
          if (this.eatOp(':')) entries.push({ key, keyVar: k.text, value: this.parsePattern() });
          else entries.push({ key, keyVar: k.text });
          continue;
        }
        let key: Ast;
        if (k.kind === 'ident') {
          this.i++;
          key = { t: 'literal', value: k.text };
        } else if (k.kind === 'str') {
          key = this.parseStringToken(null);
        } else if (k.kind === 'op' && k.text === '(') {
          this.i++;
          key = this.parsePipe(false);
          this.expectOp(')');
        } else this.fail(`unexpected ${this.describe(k)}`);
        this.expectOp(':');
        entries.push({ key, value: this.parsePattern() });
      } while (this.eatOp(','));
      this.expectOp('}');
      return { t: 'pobject', entries };
    }
    return this.fail(`unexpected ${this.describe(t)}, expecting '$' or '[' or '{'`);
  }

  private parseObject(): Ast {
    const entries: ObjEntry[] = [];
    if (this.eatOp('}')) return { t: 'object', entries };
    do {
      const k = this.tok;
      let key: Ast;
      let value: Ast | null = null;
      if (k.kind === 'var') {
        this.i++;
        if (k.text === '__loc__') {
          key = { t: 'literal', value: '__loc__' };
          value = { t: 'loc', line: positionOf(this.src, k.pos).line };
        } else if (this.isOp(':')) {
          // `{$k: v}` uses the variable's value as the key
          key = { t: 'var', name: k.text, pos: k.pos };
        } else {
          key = { t: 'literal', value: k.text };
          value = { t: 'var', name: k.text, pos: k.pos };
        }
      } else if (k.kind === 'ident') {
        this.i++;
        key = { t: 'literal', value: k.text };
      } else if (k.kind === 'num') {
        this.i++;
        key = { t: 'literal', value: k.num };
      } else if (k.kind === 'str') {
        key = this.parseStringToken(null);
      } else if (k.kind === 'format' && this.tokens[this.i + 1].kind === 'str') {
        this.i++;
        key = this.parseStringToken(k.text);
      } else if (k.kind === 'op' && k.text === '(') {
        this.i++;
        key = this.parsePipe(false);
        this.expectOp(')');
        if (!this.isOp(':')) this.fail(`unexpected ${this.describe(this.tok)}, expecting ':'`);
      } else this.fail(`unexpected ${this.describe(k)} in object construction`);
      if (this.eatOp(':')) {
        value = this.parseObjectValue();
      } else if (value === null) {
        // `{a}` means `{a: .a}`; `{"a\(1)"}` means `{"a1": .["a1"]}`
        value = { t: 'index', target: { t: 'identity' }, key, pos: k.pos };
      }
      entries.push({ key, value });
    } while (this.eatOp(','));
    this.expectOp('}');
    return { t: 'object', entries };
  }

  /** Object values: pipes of terms without `,` (jq's ExpD), leniently any operator expression. */
  private parseObjectValue(): Ast {
    return this.parsePipe(true);
  }
}
