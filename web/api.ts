/**
 * The API as the page sees it: one typed operation over HTTP (run), the bearer token it
 * sends, and the development sign-in routes next to /demo (src/demo/routes.ts).
 */
import type { TypedDocumentString } from './generated/graphql.js';

const params = new URLSearchParams(location.search);
/** The GraphQL endpoint: ?api=<url>, or /graphql next to /demo/ when the server serves the page. */
export const API_URL = params.get('api') ?? new URL('../graphql', location.href).toString();
const DEMO_URL = new URL('/demo/', API_URL);
const API_ORIGIN = DEMO_URL.origin;
/** The page's own server answers here (when it serves the page): its dev tokens and its CORS_ORIGINS. */
const OWN_OPTIONS_URL = new URL('sign-in-options', location.href);

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
/** In use; kept per tab (sessionStorage) when the API is trusted, so two windows can be two users. */
let token: string | null = null;

/**
 * Whether a stored or development token may go to the API: it is the page's own origin, or
 * one its server lists in CORS_ORIGINS (apiOrigins of sign-in-options). Any other `?api=`
 * (a link anyone can make) gets only a token pasted for it, never one kept in this tab.
 */
let trustedApi = API_ORIGIN === location.origin;

/** The token kept in this tab, put to use if the API may have it; false when there is none to use. */
export function restoreToken(): boolean {
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (!stored || !trustedApi) return false;
  token = stored;
  return true;
}

/** The Authorization value the API expects (HTTP header, and graphql-ws connection_init). */
export const authorization = () => (token ? `Bearer ${token}` : null);

export function useToken(value: string): void {
  token = value.trim();
  // A token pasted for an untrusted API is used, not kept: a later ?api= could name another.
  if (trustedApi) sessionStorage.setItem(TOKEN_KEY, token);
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
  /** Origins besides the page's own that may get a stored or development token (the server's CORS_ORIGINS). */
  apiOrigins?: string[];
}

async function fetchOptions(url: URL): Promise<SignInOptions | null> {
  try {
    const res = await fetch(url);
    if (res.ok) return (await res.json()) as SignInOptions;
  } catch {
    // Unreachable, or another origin without CORS: the same answer as a server without the route.
  }
  return null;
}

/** A CORS_ORIGINS entry: an exact origin, or `scheme://host:*` for any port of that host. */
export function originAllowed(entries: readonly string[], origin: string): boolean {
  return entries.some((e) => e === origin || (e.endsWith(':*') && withoutPort(origin) === e.slice(0, -2)));
}

const withoutPort = (origin: string) => {
  const url = new URL(origin);
  return `${url.protocol}//${url.hostname}`;
};

/**
 * Asks the page's own server which APIs it may hand a stored or development token to, then
 * the API's server whether it issues development tokens to this page (never with JWT
 * configuration). An API outside that list gets neither: the page asks for a token to paste.
 */
export async function signInOptions(): Promise<SignInOptions> {
  const own = await fetchOptions(OWN_OPTIONS_URL);
  trustedApi = API_ORIGIN === location.origin || originAllowed(own?.apiOrigins ?? [], API_ORIGIN);
  if (!trustedApi) {
    return {
      devTokens: false,
      reason: `The API at ${API_ORIGIN} (?api=) is neither this page's origin nor listed in its server's CORS_ORIGINS, so the page sends it no kept or development token: paste a token for that API.`,
    };
  }
  const apiOptions = new URL('sign-in-options', DEMO_URL);
  const options = apiOptions.href === OWN_OPTIONS_URL.href ? own : await fetchOptions(apiOptions);
  return options ?? { devTokens: false, reason: `The API at ${API_ORIGIN} issues no development tokens (production, or not this server's page): paste a token.` };
}

/** A development token for this tenant and user (POST /demo/token). */
export async function requestDevToken(tenantId: string, userId: string): Promise<string> {
  if (!trustedApi) throw new ApiError('This page sends development tokens only to its own origin or its server\'s CORS_ORIGINS: paste a token instead', 'NO_DEV_TOKENS');
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
