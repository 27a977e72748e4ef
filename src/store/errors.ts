import { types } from 'node:util';
import { serviceUnavailable } from '../domain/errors';

/** Error names of the AWS SDK that mean "the store is unreachable or overloaded", not "your request is wrong". */
const UNAVAILABLE = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
  'LimitExceededException',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

const NETWORK_CODE_IN_TEXT = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN)\b/;

export function isUnavailable(e: unknown): boolean {
  // isNativeError also recognises errors made in another realm (e.g. a jest sandbox).
  if (!(e instanceof Error) && !types.isNativeError(e)) return false;
  const err = e as Error & { code?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  if (UNAVAILABLE.has(err.name)) return true;
  if (err.code && NETWORK_CODES.has(err.code)) return true;
  if ((err.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  if (err.name === 'AggregateError') return true; // happy-eyeballs connect failures
  // Some SDK wrappers keep only the text of the network error.
  if (NETWORK_CODE_IN_TEXT.test(err.message ?? '')) return true;
  return err.cause !== undefined && isUnavailable(err.cause);
}

/** Runs a store call; an unreachable store becomes SERVICE_UNAVAILABLE, anything else passes through. */
export async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (isUnavailable(e)) throw Object.assign(serviceUnavailable(), { cause: e });
    throw e;
  }
}
