/** The runner's Prometheus metrics (served by `/metrics` through the default registry). */
import { defaultRegistry } from '../metrics.ts';

export const activationsTotal = defaultRegistry.counter('weir_activations_total', 'Activations by outcome: done, stale, conflict, dead, parked, limited, error');
export const activationSeconds = defaultRegistry.histogram('weir_activation_duration_seconds', 'From taking a message to its final checkpoint, by queue');
export const timersFiredTotal = defaultRegistry.counter('weir_timers_fired_total', 'Due timers turned into messages');
export const schedulesFiredTotal = defaultRegistry.counter('weir_schedules_fired_total', 'Schedule firings that started an instance');
export const rateLimitedTotal = defaultRegistry.counter('weir_rate_limited_total', 'Activations handed back by a task rate limit, by key (at most 200 keys; the rest as "other")');
export const promotedTotal = defaultRegistry.counter('weir_flow_promoted_total', 'Queued instances started by the safety-net sweep (normally the ending instance starts the next one)');
export const eagerStartsTotal = defaultRegistry.counter(
  'weir_eager_starts_total',
  'Starts whose first activation an idle replica ran from the wake-up (WEIR_EAGER_START), by outcome: done (committed), lost (another replica had the message, or the instance changed), declined (it needed I/O: the usual path ran it), error',
);
