/**
 * Broken variants of a valid workflow document: each mutation breaks one rule (a required field
 * dropped, a wrong type, an unknown task kind, a bad duration, …) at the root or at a task. Used to
 * check that Weir and the official JSON schema agree on what is invalid, not only on what is valid.
 */
import { walkDocument } from '../../../src/dsl/walk.ts';
import { parsePointer } from '../../../src/dsl/pointer.ts';

export type Mutant = { name: string; pointer: string; doc: unknown };

type Obj = Record<string, unknown>;
type TaskMutation = { name: string; applies(task: Obj): boolean; mutate(task: Obj): void };

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (task: Obj, key: string) => Object.hasOwn(task, key);
const callIs = (call: string) => (t: Obj) => t.call === call;

const rootMutations: Array<{ name: string; mutate(doc: Obj): void }> = [
  { name: 'drop document.name', mutate: (d) => delete (d.document as Obj).name },
  { name: 'drop document.dsl', mutate: (d) => delete (d.document as Obj).dsl },
  { name: 'document.version not semver', mutate: (d) => ((d.document as Obj).version = '1.0') },
  { name: 'document.namespace with spaces', mutate: (d) => ((d.document as Obj).namespace = 'my namespace') },
  { name: 'drop do', mutate: (d) => delete d.do },
  { name: 'do is an object', mutate: (d) => (d.do = { a: { set: { a: 1 } } }) },
  { name: 'empty task item', mutate: (d) => ((d.do as unknown[])[0] = {}) },
  { name: 'two tasks in one item', mutate: (d) => ((d.do as unknown[])[0] = { ...((d.do as Obj[])[0] as Obj), extraTask: { set: { a: 1 } } }) },
  { name: 'workflow timeout with bad duration', mutate: (d) => (d.timeout = { after: 'PT1X' }) },
  { name: 'unknown top-level property', mutate: (d) => (d.ouput = { as: '.' }) },
  { name: 'dsl 2.0.0', mutate: (d) => ((d.document as Obj).dsl = '2.0.0') },
  { name: 'duplicate task name', mutate: (d) => (d.do as unknown[]).push(structuredClone((d.do as unknown[])[0])) },
  { name: 'schedule every is a word', mutate: (d) => (d.schedule = { every: 'hourly' }) },
  { name: 'use.functions with unknown kind', mutate: (d) => (d.use = { ...((d.use as Obj) ?? {}), functions: { f: { frob: 1 } } }) },
  { name: 'use.authentications with two schemes', mutate: (d) => (d.use = { ...((d.use as Obj) ?? {}), authentications: { a: { basic: { username: 'u', password: 'p' }, bearer: { token: 't' } } } }) },
  { name: 'use.authentications oauth2 without authority', mutate: (d) => (d.use = { ...((d.use as Obj) ?? {}), authentications: { a: { oauth2: { grant: 'client_credentials', client: { id: 'c' } } } } }) },
  { name: 'use.errors without status', mutate: (d) => (d.use = { ...((d.use as Obj) ?? {}), errors: { e: { type: 'https://example.com/e' } } }) },
];

const taskMutations: TaskMutation[] = [
  { name: 'unknown task kind', applies: () => true, mutate: (t) => { for (const k of Object.keys(t)) delete t[k]; t.frobnicate = { x: 1 }; } },
  { name: 'unknown task property', applies: () => true, mutate: (t) => (t.bogus = 1) },
  { name: 'if is a number', applies: () => true, mutate: (t) => (t.if = 42) },
  { name: 'then is a number', applies: () => true, mutate: (t) => (t.then = 42) },
  { name: 'timeout with bad duration', applies: () => true, mutate: (t) => (t.timeout = { after: 'PT1X' }) },
  { name: 'timeout with unknown unit', applies: () => true, mutate: (t) => (t.timeout = { after: { weeks: 1 } }) },
  { name: 'output.as is a number', applies: () => true, mutate: (t) => (t.output = { as: 42 }) },
  { name: 'input has unknown property', applies: () => true, mutate: (t) => (t.input = { form: '.' }) },
  { name: 'input schema document is a string', applies: () => true, mutate: (t) => (t.input = { schema: { document: 'object' } }) },
  { name: 'then names no task', applies: () => true, mutate: (t) => (t.then = 'noSuchTask') },
  { name: 'timeout names no timeout', applies: () => true, mutate: (t) => (t.timeout = 'noSuchTimeout') },
  // call
  { name: 'endpoint authentication references nothing', applies: callIs('http'), mutate: (t) => ((t.with as Obj).endpoint = { uri: 'https://example.com', authentication: { use: 'nobody' } }) },
  { name: 'endpoint authentication with two schemes', applies: callIs('http'), mutate: (t) => ((t.with as Obj).endpoint = { uri: 'https://example.com', authentication: { basic: { username: 'u', password: 'p' }, bearer: { token: 't' } } }) },
  { name: 'endpoint uri is relative', applies: callIs('http'), mutate: (t) => ((t.with as Obj).endpoint = { uri: 'pets/1' }) },
  { name: 'headers is a list', applies: callIs('http'), mutate: (t) => ((t.with as Obj).headers = ['a']) },
  { name: 'query value is a number', applies: callIs('http'), mutate: (t) => ((t.with as Obj).query = { page: 1 }) },
  { name: 'call names no function', applies: (t) => typeof t.call === 'string' && !['http', 'openapi', 'grpc', 'asyncapi', 'a2a', 'mcp'].includes(t.call) && !t.call.includes('@'), mutate: (t) => (t.call = 'noSuchFunction') },
  { name: 'http without endpoint', applies: callIs('http'), mutate: (t) => delete (t.with as Obj).endpoint },
  { name: 'http endpoint is a number', applies: callIs('http'), mutate: (t) => ((t.with as Obj).endpoint = 42) },
  { name: 'http endpoint is a relative path', applies: callIs('http'), mutate: (t) => ((t.with as Obj).endpoint = '/pets') },
  { name: 'http without method', applies: callIs('http'), mutate: (t) => delete (t.with as Obj).method },
  { name: 'http output format unknown', applies: callIs('http'), mutate: (t) => ((t.with as Obj).output = 'text') },
  { name: 'http without with', applies: callIs('http'), mutate: (t) => delete t.with },
  { name: 'openapi without operationId', applies: callIs('openapi'), mutate: (t) => delete (t.with as Obj).operationId },
  { name: 'openapi document without endpoint', applies: callIs('openapi'), mutate: (t) => ((t.with as Obj).document = { name: 'x' }) },
  { name: 'call is a number', applies: (t) => has(t, 'call'), mutate: (t) => (t.call = 7) },
  // do, emit, for, fork
  { name: 'do is a string', applies: (t) => has(t, 'do') && !has(t, 'for'), mutate: (t) => (t.do = 'x') },
  { name: 'emit without event', applies: (t) => has(t, 'emit'), mutate: (t) => (t.emit = {}) },
  { name: 'emit event without source', applies: (t) => isObj(t.emit) && isObj((t.emit.event as Obj)?.with), mutate: (t) => delete ((t.emit as Obj).event as { with: Obj }).with.source },
  { name: 'for without in', applies: (t) => isObj(t.for), mutate: (t) => delete (t.for as Obj).in },
  { name: 'for without do', applies: (t) => isObj(t.for), mutate: (t) => delete t.do },
  { name: 'fork branches is an object', applies: (t) => isObj(t.fork), mutate: (t) => ((t.fork as Obj).branches = {}) },
  { name: 'fork compete is a string', applies: (t) => isObj(t.fork), mutate: (t) => ((t.fork as Obj).compete = 'yes') },
  { name: 'for.each is not an identifier', applies: (t) => isObj(t.for), mutate: (t) => ((t.for as Obj).each = 'my-item') },
  // listen, raise, run
  { name: 'listen nested until has until', applies: (t) => isObj(t.listen), mutate: (t) => ((t.listen as Obj).to = { any: [], until: { any: [], until: '${ true }' } }) },
  { name: 'listen filter without with', applies: (t) => isObj(t.listen), mutate: (t) => ((t.listen as Obj).to = { one: { correlate: {} } }) },
  { name: 'raise names no error', applies: (t) => isObj(t.raise), mutate: (t) => ((t.raise as Obj).error = 'noSuchError') },
  { name: 'listen to empty strategy', applies: (t) => isObj(t.listen), mutate: (t) => ((t.listen as Obj).to = {}) },
  { name: 'listen read unknown', applies: (t) => isObj(t.listen), mutate: (t) => ((t.listen as Obj).read = 'json') },
  { name: 'raise error status is a string', applies: (t) => isObj(t.raise) && isObj(t.raise.error), mutate: (t) => (((t.raise as Obj).error as Obj).status = 'bad') },
  { name: 'raise error without type', applies: (t) => isObj(t.raise) && isObj(t.raise.error), mutate: (t) => delete ((t.raise as Obj).error as Obj).type },
  { name: 'raise without error', applies: (t) => isObj(t.raise), mutate: (t) => (t.raise = {}) },
  { name: 'run workflow without name', applies: (t) => isObj(t.run) && isObj(t.run.workflow), mutate: (t) => delete ((t.run as Obj).workflow as Obj).name },
  { name: 'run unknown process', applies: (t) => isObj(t.run), mutate: (t) => (t.run = { lambda: {} }) },
  // set, switch, try, wait
  { name: 'set is a list', applies: (t) => has(t, 'set'), mutate: (t) => (t.set = [1]) },
  { name: 'set is empty', applies: (t) => has(t, 'set'), mutate: (t) => (t.set = {}) },
  { name: 'switch is empty', applies: (t) => Array.isArray(t.switch), mutate: (t) => (t.switch = []) },
  { name: 'switch case without then', applies: (t) => Array.isArray(t.switch), mutate: (t) => { const c = (t.switch as Obj[])[0]!; delete (Object.values(c)[0] as Obj).then; } },
  { name: 'try without catch', applies: (t) => has(t, 'try'), mutate: (t) => delete t.catch },
  { name: 'catch retry is a number', applies: (t) => isObj(t.catch), mutate: (t) => ((t.catch as Obj).retry = 42) },
  { name: 'catch retry names no policy', applies: (t) => isObj(t.catch), mutate: (t) => ((t.catch as Obj).retry = 'noSuchPolicy') },
  { name: 'catch retry with two backoffs', applies: (t) => isObj(t.catch), mutate: (t) => ((t.catch as Obj).retry = { backoff: { constant: {}, linear: {} } }) },
  { name: 'catch retry jitter without to', applies: (t) => isObj(t.catch), mutate: (t) => ((t.catch as Obj).retry = { jitter: { from: 'PT1S' } }) },
  { name: 'catch.as is not an identifier', applies: (t) => isObj(t.catch), mutate: (t) => ((t.catch as Obj).as = 'the error') },
  { name: 'switch with two default cases', applies: (t) => Array.isArray(t.switch), mutate: (t) => (t.switch as unknown[]).push({ d1: { then: 'end' } }, { d2: { then: 'end' } }) },
  { name: 'wait is not a duration', applies: (t) => has(t, 'wait'), mutate: (t) => (t.wait = 'soon') },
  { name: 'wait with fractional seconds object', applies: (t) => has(t, 'wait'), mutate: (t) => (t.wait = { seconds: 1.5 }) },
];

/** Every applicable mutation of `doc` (which should be a valid workflow), one rule broken each. */
export function mutantsOf(doc: unknown): Mutant[] {
  const out: Mutant[] = [];
  for (const m of rootMutations) {
    const copy = structuredClone(doc) as Obj;
    try {
      m.mutate(copy);
    } catch {
      continue;
    }
    out.push({ name: m.name, pointer: '', doc: copy });
  }
  const pointers: string[] = [];
  walkDocument(doc, { task: ({ pointer }) => pointers.push(pointer) });
  // Each task mutation is applied to at most three of the tasks it fits (the first, a middle one,
  // the last): enough to cover top-level and nested positions without thousands of near-duplicates.
  for (const m of taskMutations) {
    const fits = pointers.filter((p) => {
      const t = at(doc, p);
      return isObj(t) && m.applies(t);
    });
    const chosen = [...new Set([fits[0], fits[Math.floor(fits.length / 2)], fits[fits.length - 1]])].filter((p): p is string => p !== undefined);
    for (const pointer of chosen) {
      const copy = structuredClone(doc);
      m.mutate(at(copy, pointer) as Obj);
      out.push({ name: m.name, pointer, doc: copy });
    }
  }
  return out;
}

function at(doc: unknown, pointer: string): unknown {
  let node = doc as Obj;
  for (const token of parsePointer(pointer)) node = (Array.isArray(node) ? node[Number(token)] : node[token]) as Obj;
  return node;
}
