/** What stepping a frame asks the scheduler to do next. */
import type { Frame, WorkflowError } from './types.ts';

export type FrameAction =
  | { kind: 'push'; frame: Frame }
  /** Pop this frame and hand `value` (and a flow directive) to the frame below. */
  | { kind: 'return'; value: unknown; then?: string }
  /** Pop this frame and raise `error` in the frame below. */
  | { kind: 'throw'; error: WorkflowError }
  /** The frame waits for a stimulus (or its fork branches): the thread blocks. */
  | { kind: 'wait' }
  /** `then: end`: complete the workflow now with `value`. */
  | { kind: 'end'; value: unknown }
  /** The workflow frame has finished the instance. */
  | { kind: 'finish' };
