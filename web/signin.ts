/**
 * Signing in: with a development token when the server issues them (development without
 * JWT configuration, to a browser on its machine), else with a pasted token, saying why.
 */
import { ApiError, claims, dropToken, requestDevToken, restoreToken, signInOptions, useToken } from './api.js';
import { resetState, state } from './state.js';
import { loadTopics } from './topics.js';
import { $, byTest, say, show, showError } from './ui.js';

/** Shapes the sign-in card from what the server says (GET /demo/sign-in-options). */
export async function prepareSignIn(): Promise<void> {
  const options = await signInOptions();
  show($('#signin-form'), options.devTokens);
  show(byTest('signin-hint'), options.devTokens);
  say(byTest('no-dev-tokens'), options.devTokens ? null : options.reason);
  const paste = $<HTMLDetailsElement>('#paste-token');
  paste.open = !options.devTokens;
  $('#paste-token summary').textContent = options.devTokens ? '…or paste a token' : 'Paste a token';
  document.body.dataset.devTokens = String(options.devTokens);
}

/** A development token for any tenant and user. */
export async function signInAs(tenantId: string, userId: string): Promise<void> {
  useToken(await requestDevToken(tenantId, userId));
  await enter();
}

/** A token from elsewhere (an identity provider, `npm run token`). */
export async function signInWithToken(value: string): Promise<void> {
  if (!value.trim()) throw new ApiError('Paste a token first', 'BAD_USER_INPUT');
  useToken(value);
  await enter();
}

/** Signed in: the topics (the first call the server checks the token with). */
async function enter(): Promise<void> {
  state.who = claims();
  await loadTopics();
  byTest('whoami-text').textContent = `Signed in as ${state.who?.userId} (tenant ${state.who?.tenantId})`;
  show($('#whoami'), true);
  show($('#signin'), false);
  show($('#workspace'), true);
}

export function signOut(): void {
  dropToken();
  resetState();
  show($('#whoami'), false);
  show($('#workspace'), false);
  show($('#signin'), true);
  showError(null);
}

/**
 * At load (after prepareSignIn): a token kept from before a reload is used if the API may
 * have it, or dropped (back to sign in, with the reason) when the server refuses it.
 */
export async function resumeSignIn(): Promise<void> {
  if (!restoreToken()) return;
  try {
    await enter();
  } catch (e) {
    signOut();
    showError(e);
  }
}
