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
export async function httpLoad(opts: HttpLoad): Promise<LoadResult & { firstError?: string; total: number }> {
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
  // Node accepted a saturated server's new connections one at a time here, so it took seconds to
  // accept all of autocannon's fresh connections (64: 3-4 s here, measured with `ss` and in a
  // bare node:http server). A duration run is therefore measured in its steady state: the
  // window starts once every connection has had its first response, as a load balancer's
  // long-lived keep-alive connections would have (docs/performance.md).
  const window = opts.amount ? undefined : new SteadyWindow(opts.concurrency, (opts.durationSec ?? 5) * 1000);
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.concurrency,
        pipelining: 1,
        ...(opts.amount ? { amount: opts.amount } : { duration: (opts.durationSec ?? 5) + SETTLE_MAX_SEC }),
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
    if (window) instance.on('response', (client: unknown, _status: number, _bytes: number, ms: number) => window.response(client, ms, () => instance.stop()));
  });
  const errors = r.errors + r.timeouts + gqlErrors;
  if (window) return { ...window.result(opts.concurrency), errors, firstError, total: r.requests.total };
  const seconds = r.duration;
  const requests = r.requests.total;
  return { concurrency: opts.concurrency, seconds, requests, rps: requests / seconds, p50: r.latency.p50, p99: r.latency.p99, errors, firstError, total: requests };
}

/** At most this long for every connection to get its first response; the window starts then in any case. */
const SETTLE_MAX_SEC = 10;

/** The measured window of a duration run: from the first response of the last connection to `ms` later. */
class SteadyWindow {
  private readonly seen = new Set<unknown>();
  private readonly latencies: number[] = [];
  private readonly t0 = performance.now();
  private start: number | undefined;
  private end: number | undefined;

  constructor(
    private readonly connections: number,
    private readonly ms: number,
  ) {}

  response(client: unknown, latencyMs: number, stop: () => void) {
    const now = performance.now();
    if (this.start === undefined) {
      this.seen.add(client);
      if (this.seen.size < this.connections && now - this.t0 < SETTLE_MAX_SEC * 1000) return;
      this.start = now;
      setTimeout(() => {
        this.end = performance.now();
        stop();
      }, this.ms);
      return;
    }
    if (this.end === undefined) this.latencies.push(latencyMs);
  }

  result(concurrency: number): Omit<LoadResult, 'errors'> {
    const seconds = ((this.end ?? performance.now()) - (this.start ?? this.t0)) / 1000;
    const sorted = this.latencies.sort((a, b) => a - b);
    return { concurrency, seconds: round(seconds), requests: sorted.length, rps: sorted.length / seconds, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
  }
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
  const pct = (p: number) => percentile(latencies, p);
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

/** The p-th percentile of sorted values (0 for none). */
const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0);

export const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;
