import type { IncomingMessage } from 'node:http';
import { Kind, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { bearerToken, TokenVerifier, unauthenticated } from '../auth/verifier';
import { DomainError, rateLimited } from '../domain/errors';
import { Viewer } from '../domain/viewer';
import { DocumentGate, queryHash } from '../graphql/document-gate';
import { RateLimiter } from './rate-limit';

/** A request answered before Apollo sees it: status, GraphQL-shaped errors, headers. */
export interface Refusal {
  status: number;
  errors: GraphQLFormattedError[];
  headers?: Record<string, string>;
}

/** Before the document is parsed, so a refused caller spends nothing more: 401, or 429 with Retry-After. */
export async function admitCaller(
  req: IncomingMessage,
  verifier: TokenVerifier,
  limiter: RateLimiter | undefined,
  address: () => string,
): Promise<{ viewer: Viewer | null } | Refusal> {
  let viewer: Viewer | null;
  try {
    const token = bearerToken(req.headers.authorization);
    viewer = token ? await verifier.verify(token) : null;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return overLimit(limiter?.takeAnonymous(address())) ?? domainRefusal(e, 401);
  }
  return overLimit(viewer ? limiter?.take(viewer) : limiter?.takeAnonymous(address())) ?? { viewer };
}

function overLimit(decision: ReturnType<RateLimiter['take']> | undefined): Refusal | undefined {
  if (!decision || decision.ok) return undefined;
  return domainRefusal(rateLimited(decision.retryAfterSeconds), 429, { 'retry-after': String(decision.retryAfterSeconds) });
}

const domainRefusal = (e: DomainError, status: number, headers?: Record<string, string>): Refusal => ({
  status,
  errors: [{ message: e.message, extensions: { ...e.details, code: e.code } }],
  headers,
});

const badRequest = (message: string): Refusal => ({ status: 400, errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });

/**
 * A refusal, or undefined when Apollo may run it (or there is no text: persisted-query lookups).
 * `anonymous` (no token): only introspection runs, so codegen and Sandbox work in development;
 * anything else is a 401, as for a bad token. A request with no operation at all (Sandbox's
 * page) goes on to Apollo.
 */
export function documentRefusal(gate: DocumentGate, req: IncomingMessage, body: unknown, anonymous = false): Refusal | undefined {
  const { query, extensions } = requestParts(req, body);
  const persisted = (extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery;
  if (persisted !== undefined) {
    const pq = persisted as { version?: unknown; sha256Hash?: unknown } | null;
    if (pq?.version !== 1 || typeof pq.sha256Hash !== 'string') return badRequest('A persisted query must be { "version": 1, "sha256Hash": "<hex>" }');
    if (typeof query === 'string' && queryHash(query) !== pq.sha256Hash) return badRequest('The persisted query hash does not match the query');
  }
  if (typeof query !== 'string' || query === '') return anonymous && persisted !== undefined ? noToken() : undefined;
  const gated = gate.check(query);
  if (!gated.ok) return { status: 400, errors: gated.errors };
  return anonymous && !introspectionOnly(gated.document) ? noToken() : undefined;
}

const noToken = () => domainRefusal(unauthenticated(), 401);

/** Every operation asks only for `__schema`, `__type` or `__typename` at its root: no resolver of ours runs. */
function introspectionOnly(document: DocumentNode): boolean {
  return document.definitions.every(
    (d) => d.kind !== Kind.OPERATION_DEFINITION || d.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__')),
  );
}

/** `query` and `extensions` of a POST body or of a GET's search parameters. */
function requestParts(req: IncomingMessage, body: unknown): { query?: unknown; extensions?: unknown } {
  if (req.method !== 'GET') return body && typeof body === 'object' && !Array.isArray(body) ? (body as { query?: unknown; extensions?: unknown }) : {};
  const params = new URL(req.url ?? '', 'http://localhost').searchParams;
  let extensions: unknown;
  try {
    extensions = params.has('extensions') ? JSON.parse(params.get('extensions')!) : undefined;
  } catch {
    extensions = undefined; // Apollo answers a malformed one
  }
  return { query: params.get('query') ?? undefined, extensions };
}
