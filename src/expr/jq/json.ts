/**
 * `fromjson`: JSON text to a value. Strict JSON goes through `JSON.parse`; on failure a small
 * parser retries with jq's extensions (`nan`, `NaN`, `nan1234`, `Infinity`) and produces
 * jq-style error messages.
 */
import * as errorsModule from './errors.ts';
const fail: typeof errorsModule.fail = errorsModule.fail;

export function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return new LenientParser(s).parseAll();
  }
}

class LenientParser {
  private i = 0;
  private readonly s: string;

  constructor(s: string) {
    this.s = s;
  }

  private error(msg: string): never {
    return fail(`${msg} at line 1, column ${this.i} (while parsing '${this.s}')`, 'Invalid JSON text');
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i])) this.i++;
  }

  parseAll(): unknown {
    this.ws();
    if (this.i >= this.s.length) return this.error('Expected JSON value');
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.error('Unexpected extra JSON values');
    return v;
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') {
      this.i++;
      const o: Record<string, unknown> = {};
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return o;
      }
      for (;;) {
        this.ws();
        if (this.s[this.i] !== '"') this.error('Object keys must be strings');
        const k = this.string();
        this.ws();
        if (this.s[this.i++] !== ':') this.error("Objects must consist of key:value pairs");
        const v = this.value();
        if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        else o[k] = v;
        this.ws();
        const d = this.s[this.i++];
        if (d === '}') return o;
        if (d !== ',') this.error("Expected separator between values");
      }
    }
    if (c === '[') {
      this.i++;
      const a: unknown[] = [];
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return a;
      }
      for (;;) {
        a.push(this.value());
        this.ws();
        const d = this.s[this.i++];
        if (d === ']') return a;
        if (d !== ',') this.error('Expected separator between values');
      }
    }
    if (c === '"') return this.string();
    const m = /^(-?)(nan\d*|NaN|Infinity|infinity|true|false|null|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)/.exec(this.s.slice(this.i));
    if (!m) return this.error('Invalid literal');
    this.i += m[0].length;
    const word = m[2];
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (word.startsWith('nan') || word === 'NaN') return NaN;
    if (word === 'Infinity' || word === 'infinity') return m[1] ? -Infinity : Infinity;
    return Number(m[0]);
  }

  private string(): string {
    const start = this.i;
    this.i++;
    let depth = 0;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') this.i += 2;
      else if (c === '"') {
        this.i++;
        try {
          return JSON.parse(this.s.slice(start, this.i));
        } catch {
          return this.error('Invalid string');
        }
      } else this.i++;
      depth++;
    }
    return this.error('Unfinished string');
  }
}
