/** Streaming form of values: `tostream`, `fromstream`. */
import type { Emit, Native } from '../code.ts';
import * as errorsModule from '../errors.ts';
import * as pathsModule from '../paths.ts';
import * as runtimeModule from '../runtime.ts';
import * as valuesModule from '../values.ts';

const fail: typeof errorsModule.fail = errorsModule.fail;
const { setPath } = pathsModule;
const { tick } = runtimeModule;
const { isObject } = valuesModule;

function toStream(v: unknown, path: unknown[], top: boolean, emit: Emit): void {
  tick();
  if (Array.isArray(v) && v.length > 0) {
    for (let i = 0; i < v.length; i++) toStream(v[i], [...path, i], false, emit);
    emit([[...path, v.length - 1]]);
  } else if (isObject(v) && Object.keys(v).length > 0) {
    const ks = Object.keys(v);
    for (const k of ks) toStream(v[k], [...path, k], false, emit);
    emit([[...path, ks[ks.length - 1]]]);
  } else {
    emit([path, v]);
  }
  void top;
}

export const STREAMS: Record<string, Native> = {
  'tostream/0': { gen: (i, _a, _e, emit) => toStream(i, [], true, emit) },
  'fromstream/1': {
    gen: (i, [f], e, emit) => {
      let cur: unknown = null;
      let have = false;
      f.run(i, e, (ev) => {
        if (!Array.isArray(ev) || !Array.isArray(ev[0])) fail('Invalid input to fromstream');
        const [p, v] = ev as [unknown[], unknown];
        if ((ev as unknown[]).length >= 2) {
          if (p.length === 0) {
            emit(v);
            return;
          }
          cur = setPath(have ? cur : null, p, v);
          have = true;
        } else if (p.length <= 1) {
          if (have) emit(cur);
          cur = null;
          have = false;
        }
      });
    },
  },
};
