/**
 * The API as the page sees it: one typed operation over HTTP (run), the bearer token it
 * sends, and the development sign-in routes next to /demo (src/demo/routes.ts).
 */
import type { TypedDocumentString } from './generated/graphql.js';

const params = new URLSearchParams(location.search);
/** The GraphQL endpoint: ?api=<url>, or /graphql next to /demo/ when the server serves the page. */
export const API_URL = params.get('api') ?? new URL('../graphql', location.href).toString();
const DEMO_URL = new URL('/demo/', API_URL);

export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

// ---- the token ----------------------------------------------------------------

const TOKEN_KEY = 'demo.token';
/** Kept per tab (sessionStorage), so two windows can be two users. */
let token: string | null = sessionStorage.getItem(TOKEN_KEY);

export const hasToken = () => token !== null;

/** The Authorization value the API expects (HTTP header, and graphql-ws connection_init). */
export const authorization = () => (token ? `Bearer ${token}` : null);

export function useToken(value: string): void {
  token = value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function dropToken(): void {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's own claims, for the header only (the server is what checks it). */
export function claims(): { tenantId: string; userId: string } | null {
  try {
    const payload = JSON.parse(atob(token!.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const tenant = Object.entries(payload).find(([k]) => /tenant/.test(k))?.[1];
    return { tenantId: String(tenant ?? '?'), userId: String(payload.sub ?? '?') };
  } catch {
    return null;
  }
}

// ---- GraphQL --------------------------------------------------------------------

/** One typed operation over HTTP: the variables and the result type follow from the document. */
export async function run<R, V>(doc: TypedDocumentString<R, V>, variables: V): Promise<R> {
  let res: Response;
  try {
    res = await fetch(API_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: authorization()! } : {}) },
      body: JSON.stringify({ query: doc.toString(), variables }),
    });
  } catch {
    throw new ApiError('The API cannot be reached', 'NETWORK_ERROR');
  }
  const body = (await res.json().catch(() => ({}))) as {
    data?: R | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
  const error = body.errors?.[0];
  if (error) throw new ApiError(error.message, String(error.extensions?.code ?? 'ERROR'), error.extensions);
  if (!body.data) throw new ApiError(`HTTP ${res.status}`, 'ERROR');
  return body.data;
}

// ---- development sign-in ------------------------------------------------------------

export interface SignInOptions {
  /** POST /demo/token will sign a token for any tenant and user. */
  devTokens: boolean;
  /** Why not, in words for the person at the page. */
  reason: string | null;
}

/** Asks the server whether it issues development tokens to this page (never for a server with JWT configuration). */
export async function signInOptions(): Promise<SignInOptions> {
  try {
    const res = await fetch(new URL('sign-in-options', DEMO_URL));
    if (res.ok) return (await res.json()) as SignInOptions;
  } catch {
    // Unreachable, or another origin without CORS: the same answer as a server without the route.
  }
  return { devTokens: false, reason: `The API at ${DEMO_URL.origin} issues no development tokens (production, or not this server's page): paste a token.` };
}

/** A development token for this tenant and user (POST /demo/token). */
export async function requestDevToken(tenantId: string, userId: string): Promise<string> {
  const res = await fetch(new URL('token', DEMO_URL), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantId, userId }),
  }).catch(() => null);
  if (!res || res.status === 404) throw new ApiError('This server issues no development tokens: paste a token instead', 'NO_DEV_TOKENS');
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!res.ok || !body.token) throw new ApiError(body.error ?? `HTTP ${res.status}`, res.status === 403 ? 'FORBIDDEN' : 'BAD_USER_INPUT');
  return body.token;
}
