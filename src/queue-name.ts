/**
 * Weir's queue names: lower-case letters, digits and `_`, at most 47 characters (PGMQ's limit,
 * which leaves room for its `q_`/`a_` table prefixes within NAMEDATALEN). One rule for the
 * configuration (WEIR_QUEUES), registration (the `queue` parameter and `metadata.weir.queue`) and
 * the API's queue views. The PGMQ layer itself (store/queries/pgmq.ts) accepts what the extension
 * accepts, mixed case included.
 */
export const QUEUE_NAME_RULE = 'lower-case letters, digits and _; at most 47';

const QUEUE_NAME = /^[a-z0-9_]{1,47}$/;

export function isQueueName(queue: string): boolean {
  return QUEUE_NAME.test(queue);
}
