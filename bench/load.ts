import autocannon from 'autocannon';

/** One measured point: throughput, latency and errors. */
export interface LoadResult {
  concurrency: number;
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** What one HTTP request of a scenario carries. */
export interface HttpCall {
  token: string;
  body: string;
  /** More request headers (e.g. the framework floor's tenant and user). */
  headers?: Record<string, string>;
}

export interface HttpLoad {
  url: string;
  concurrency: number;
  durationSec?: number;
  /** Stop after this many responses instead of after a duration. */
  amount?: number;
  /** Same request for every call of a connection (cheapest for the load generator). */
  perConnection?: (conn: number) => HttpCall;
  /** A new request for every call (e.g. a fresh topic to create). */
  perRequest?: () => HttpCall;
}

const headers = (call: HttpCall) => ({ 'content-type': 'application/json', authorization: `Bearer ${call.token}`, ...call.headers });

/** A 200 with a GraphQL error is an error too. */
const isGraphqlError = (status: number, body: string) => status !== 200 || body.startsWith('{"errors"') || body.includes('"errors":[');

/**
 * Drives the server with autocannon over loopback (HTTP/1.1 keep-alive, one request in
 * flight per connection, so concurrency = connections). Every response body is checked.
 */
export async function httpLoad(opts: HttpLoad): Promise<LoadResult & { firstError?: string }> {
  let gqlErrors = 0;
  let firstError: string | undefined;
  const onResponse = (status: number, body: string) => {
    if (isGraphqlError(status, body)) {
      gqlErrors++;
      firstError ??= body.slice(0, 300);
    }
  };
  let conn = 0;
  const base: autocannon.Request = { method: 'POST', onResponse } as autocannon.Request;
  const perRequest = opts.perRequest;
  const request: autocannon.Request = perRequest
    ? ({
        ...base,
        setupRequest: (req: autocannon.Request) => {
          const call = perRequest();
          return { ...req, headers: headers(call), body: call.body };
        },
      } as autocannon.Request)
    : base;
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: opts.url,
        connections: opts.concurrency,
        pipelining: 1,
        ...(opts.amount ? { amount: opts.amount } : { duration: opts.durationSec ?? 5 }),
        timeout: 20,
        requests: [request],
        setupClient: opts.perConnection
          ? (client: autocannon.Client) => {
              const call = opts.perConnection!(conn++ % opts.concurrency);
              client.setHeadersAndBody(headers(call), call.body);
            }
          : undefined,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
  const seconds = r.duration;
  const requests = r.requests.total;
  return {
    concurrency: opts.concurrency,
    seconds,
    requests,
    rps: requests / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + gqlErrors,
    firstError,
  };
}

/**
 * The floor's driver: `concurrency` workers each call `fn` back to back for the duration
 * (or until `amount` calls); per-call latency with hrtime.
 */
export async function loop(
  concurrency: number,
  fn: (worker: number, i: number) => Promise<unknown>,
  opts: { durationSec?: number; amount?: number },
): Promise<LoadResult & { firstError?: string }> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let issued = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round((opts.durationSec ?? 5) * 1e9));
  const more = () => (opts.amount ? issued < opts.amount : process.hrtime.bigint() < deadline);
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; more(); i++) {
        issued++;
        const t = process.hrtime.bigint();
        try {
          await fn(w, i);
        } catch (e) {
          errors++;
          firstError ??= String(e).slice(0, 300);
        }
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : 0);
  return {
    concurrency,
    seconds,
    requests: latencies.length,
    rps: latencies.length / seconds,
    p50: round(pct(50), 2),
    p99: round(pct(99), 2),
    errors,
    firstError,
  };
}

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
