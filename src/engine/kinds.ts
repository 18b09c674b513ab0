/** The task kinds the interpreter runs, one module each in tasks/. */
import { callKind } from '../tasks/call.ts';
import { doKind } from '../tasks/do.ts';
import { emitKind } from '../tasks/emit.ts';
import { forKind } from '../tasks/for.ts';
import { forkKind } from '../tasks/fork.ts';
import { listenKind } from '../tasks/listen.ts';
import { raiseKind } from '../tasks/raise.ts';
import { runKind } from '../tasks/run.ts';
import { setKind } from '../tasks/set.ts';
import { switchKind } from '../tasks/switch.ts';
import { tryKind } from '../tasks/try.ts';
import { waitKind } from '../tasks/wait.ts';
import { installKinds } from './task-frame.ts';

installKinds({
  call: callKind,
  do: doKind,
  emit: emitKind,
  for: forKind,
  fork: forkKind,
  listen: listenKind,
  raise: raiseKind,
  run: runKind,
  set: setKind,
  switch: switchKind,
  try: tryKind,
  wait: waitKind,
});
