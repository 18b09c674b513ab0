/**
 * The API's limits and knobs. `createApp` takes them from `AppDeps.api` (the config maps its
 * environment variables onto these names), each with the default below.
 */
export interface ApiOptions {
  /** Largest request body, in bytes; larger ones are refused with 413 before being buffered. */
  maxBodyBytes: number;
  /** Largest instance input (the JSON body of a start), in bytes. */
  maxInputBytes: number;
  /** Page size when `limit` is not given, and the largest one accepted. */
  pageSizeDefault: number;
  pageSizeMax: number;
  /** Token bucket per API key: sustained requests per second and burst size; 0 turns it off. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** How long an Idempotency-Key's stored response is replayed. */
  idempotencyTtlSeconds: number;
  /** Longest `?wait=` on a start. */
  waitMaxSeconds: number;
  /** Standard Webhooks timestamp tolerance. */
  webhookToleranceSeconds: number;
  /** How long a hook's previous secret stays valid after a rotation. */
  hookSecretGraceSeconds: number;
  /** base64 of 32 random bytes: AES-256-GCM key for hook secrets at rest. */
  encryptionKey?: string;
}

export const defaultApiOptions: ApiOptions = {
  // A workflow document is at most 1 MiB (parseDocument's limit); JSON framing fits in the rest.
  maxBodyBytes: 1024 * 1024 + 64 * 1024,
  maxInputBytes: 256 * 1024,
  pageSizeDefault: 50,
  pageSizeMax: 500,
  rateLimitPerSecond: 100,
  rateLimitBurst: 200,
  idempotencyTtlSeconds: 24 * 3600,
  waitMaxSeconds: 60,
  webhookToleranceSeconds: 300,
  hookSecretGraceSeconds: 24 * 3600,
};
