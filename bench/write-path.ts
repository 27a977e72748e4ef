import type { OpStats } from './child';
import { LoadResult, loop, round } from './load';
import { body, DOCS, gql, startSession, token, USER_TEXT } from './seed';
import { Child } from './server';

/**
 * The conversation write path (issue #10): contention and the cost of each write.
 *
 * - Contention: one user, one session, many sends at once (each with its own
 *   clientMessageId), spread over one or two server processes on the same table; latency
 *   p50/p99, how many were refused with SESSION_BUSY (and whether any failed otherwise).
 * - Capacity per operation: WCU and RCU of each write as the server's own per-operation
 *   counters report them (ReturnConsumedCapacity TOTAL, from DynamoDB Local), averaged.
 */
export interface ContentionPoint extends Omit<LoadResult, 'errors'> {
  processes: number;
  acknowledged: number;
  busy: number;
  /** Anything but success or SESSION_BUSY (an INTERNAL_SERVER_ERROR would land here). */
  otherErrors: number;
  firstOtherError?: string;
  requestsPerOp: number;
  wcuPerOp: number;
  rcuPerOp: number;
}

export interface OperationCost {
  operation: string;
  samples: number;
  wcuPerOp: number;
  rcuPerOp: number;
  requestsPerOp: number;
}

export interface WritePathReport {
  contention: ContentionPoint[];
  costs: OperationCost[];
}

const statsOf = async (child: Child) => ((await child.call('stats')) as { stats: OpStats }).stats;

/** The operations the children finished since their last reset, summed. */
async function serverTotals(children: Child[]) {
  const all = await Promise.all(children.map(statsOf));
  return all.reduce((a, s) => ({ ops: a.ops + s.ops, requests: a.requests + s.requests, wcu: a.wcu + s.writeCapacity, rcu: a.rcu + s.readCapacity }), { ops: 0, requests: 0, wcu: 0, rcu: 0 });
}

/** One user sending at `concurrency` to one session, round-robin over `children`, for `durationSec`. */
export async function contention(children: Child[], concurrency: number, durationSec: number, tenant: string): Promise<ContentionPoint> {
  const tok = await token(tenant);
  const sessionId = await startSession(children[0].url, tok, 'purpose');
  await Promise.all(children.map((c) => c.call('reset')));
  let acknowledged = 0;
  let busy = 0;
  let otherErrors = 0;
  let firstOtherError: string | undefined;
  const r: LoadResult = await loop(
    concurrency,
    async (w, i) => {
      const url = children[w % children.length].url;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
        body: body(DOCS.sendMessage, { sessionId, content: USER_TEXT, clientMessageId: `w${w}-${i}` }),
      });
      const json = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
      const code = json.errors?.[0]?.extensions?.code;
      if (!code && res.status === 200) acknowledged++;
      else if (code === 'SESSION_BUSY') busy++;
      else {
        otherErrors++;
        firstOtherError ??= JSON.stringify(json).slice(0, 300);
      }
    },
    { durationSec },
  );
  const t = await settledTotals(children);
  const n = Math.max(t.ops, 1);
  return {
    processes: children.length,
    concurrency,
    seconds: round(r.seconds, 1),
    requests: r.requests,
    rps: round(r.rps, 0),
    p50: r.p50,
    p99: r.p99,
    acknowledged,
    busy,
    otherErrors,
    ...(firstOtherError ? { firstOtherError } : {}),
    requestsPerOp: round(t.requests / n),
    wcuPerOp: round(t.wcu / n),
    rcuPerOp: round(t.rcu / n),
  };
}

/** Waits until the children's operation counts stop moving (responses still being counted). */
async function settledTotals(children: Child[]) {
  let t = await serverTotals(children);
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const again = await serverTotals(children);
    if (again.ops === t.ops) return again;
    t = again;
  }
  return t;
}

/**
 * WCU and RCU per operation, one call at a time against one server (so the per-operation
 * counters see each call alone), averaged over `samples` calls. Real time: a turn in a new
 * minute also moves the byUser sort key (docs/performance.md).
 */
export async function operationCosts(child: Child, samples: number, tenant: string): Promise<OperationCost[]> {
  const out: OperationCost[] = [];
  const measure = async (operation: string, run: (k: number) => Promise<unknown>) => {
    await child.call('reset');
    for (let k = 0; k < samples; k++) await run(k);
    const s = await statsOf(child);
    const n = Math.max(s.ops, 1);
    out.push({ operation, samples: s.ops, wcuPerOp: round(s.writeCapacity / n), rcuPerOp: round(s.readCapacity / n), requestsPerOp: round(s.requests / n) });
  };
  const toks = await Promise.all(Array.from({ length: samples }, (_, k) => token(`${tenant}-${k}`)));
  const ids: string[] = [];
  // Each user's first message page and topic catalogue (tenant topics: one Query per tenant per 30 s) are warmed outside the counts.
  await Promise.all(toks.map((t) => gql(child.url, t, '{ topics { id } }')));
  await measure('startSession (create)', async (k) => (ids[k] = await startSession(child.url, toks[k], 'purpose')));
  await measure('startSession (resume ACTIVE)', (k) => startSession(child.url, toks[k], 'purpose'));
  await measure('sendMessage turn (no clientMessageId)', (k) => gql(child.url, toks[k], DOCS.sendMessage, { sessionId: ids[k], content: USER_TEXT }));
  await measure('sendMessage turn (with clientMessageId)', (k) =>
    gql(child.url, toks[k], DOCS.sendMessage, { sessionId: ids[k], content: USER_TEXT, clientMessageId: `cost-${k}` }),
  );
  await measure('postMessage (and its reply)', async (k) => {
    await gql(child.url, toks[k], POST_MESSAGE, { sessionId: ids[k], content: USER_TEXT });
    // The reply is written in the background, counted with the operation that started it.
    await new Promise((r) => setTimeout(r, 50));
  });
  await measure('pauseSession', (k) => gql(child.url, toks[k], DOCS.pause, { sessionId: ids[k] }));
  await measure('resumeSession', (k) => gql(child.url, toks[k], RESUME, { sessionId: ids[k] }));
  await measure('completeSession', (k) => gql(child.url, toks[k], END('completeSession'), { sessionId: ids[k] }));
  const again = await Promise.all(toks.map((t) => startSession(child.url, t, 'purpose')));
  await measure('cancelSession', (k) => gql(child.url, toks[k], END('cancelSession'), { sessionId: again[k] }));
  return out;
}

const POST_MESSAGE = 'mutation Post($sessionId: ID!, $content: String!) { postMessage(sessionId: $sessionId, content: $content) { replyPending } }';
const RESUME = 'mutation Resume($sessionId: ID!) { resumeSession(sessionId: $sessionId) { id status } }';
const END = (op: string) => `mutation End($sessionId: ID!) { ${op}(sessionId: $sessionId) { id status } }`;
