/** RFC 6901 JSON pointers: the address of every issue and of every task (`/do/0/taskName`). */

/** Escapes one reference token (`~` → `~0`, `/` → `~1`). */
export function escapeToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a pointer from path segments: `toPointer(['do', 0, 'a/b'])` → `/do/0/a~1b`. */
export function toPointer(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const segment of path) out += '/' + escapeToken(typeof segment === 'symbol' ? String(segment.description) : segment);
  return out;
}

/** Appends segments to a pointer: `joinPointer('/do/0', 'x', 'call')` → `/do/0/x/call`. */
export function joinPointer(base: string, ...segments: Array<string | number>): string {
  return base + toPointer(segments);
}

/** Splits a pointer into unescaped tokens; `''` is the root (no tokens). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new SyntaxError(`JSON pointer must be empty or start with '/': ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at `pointer` inside `doc`, or `undefined` when the path does not exist. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  let node: unknown = doc;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(node)) {
      if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
      node = node[Number(token)];
    } else if (node !== null && typeof node === 'object' && Object.hasOwn(node, token)) {
      node = (node as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return node;
}
