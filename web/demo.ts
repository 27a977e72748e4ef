/**
 * The reference client: what a frontend of this API does, with nothing but the
 * codegen-typed documents (web/generated/, from operations/*.graphql) and fetch.
 *
 * sign in -> topics -> sessionCheck -> "Resume session" (idle card) | "Start new session" |
 * "Another user is using this topic" (taken card) -> chat (turns, welcome back, title and
 * what the coach remembers, rating and regenerating replies), pause, complete (result).
 *
 * Modules by role: api.ts (HTTP, token), signin.ts, topics.ts, check.ts (the check's
 * cards, start and resume), chat.ts (an open session), stream.ts (graphql-ws), send.ts (one
 * turn, as events), regenerate.ts (a new reply, as events), reply-actions.ts (stars and
 * "Regenerate"), memory-view.ts, messages-view.ts, result-view.ts, state.ts, ui.ts. This one
 * wires them to the page.
 */
import { check, resume, selectTopic, start } from './check.js';
import { renderChat, send, transition } from './chat.js';
import { setMessageControls } from './messages-view.js';
import { onSessionChanged, replyControls } from './reply-actions.js';
import { prepareSignIn, resumeSignIn, signInAs, signInWithToken, signOut } from './signin.js';
import { onTopicSelected } from './topics.js';
import { $, action, byTest } from './ui.js';

async function wire(): Promise<void> {
  const button = (id: string) => $<HTMLButtonElement>(id);
  const onSubmit = (form: string, submit: HTMLButtonElement | null, fn: () => Promise<void>) =>
    $<HTMLFormElement>(form).addEventListener('submit', (ev) => {
      ev.preventDefault();
      void action(submit, fn)();
    });
  const value = (id: string) => $<HTMLInputElement | HTMLTextAreaElement>(id).value.trim();

  onSubmit('#signin-form', byTest<HTMLButtonElement>('signin-submit'), () => signInAs(value('#tenant'), value('#user')));
  onSubmit('#token-form', null, () => signInWithToken(value('#token')));
  onSubmit('#send-form', byTest<HTMLButtonElement>('send'), send);
  $<HTMLTextAreaElement>('#message').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey) {
      ev.preventDefault();
      $<HTMLFormElement>('#send-form').requestSubmit();
    }
  });
  onTopicSelected(selectTopic);
  setMessageControls(replyControls);
  onSessionChanged(renderChat);
  button('#signout').addEventListener('click', signOut);
  const clicks: [string, () => Promise<void>][] = [
    ['#start-btn', () => start(false)],
    ['#restart-btn', () => start(true)],
    ['#resume-btn', resume],
    ['#recheck-btn', check],
    ['#pause-btn', () => transition('pause')],
    ['#chat-resume-btn', () => transition('resume')],
    ['#complete-btn', () => transition('complete')],
  ];
  for (const [id, fn] of clicks) button(id).addEventListener('click', action(button(id), fn));
  await prepareSignIn();
  document.body.dataset.ready = 'true';
  await resumeSignIn();
}

void wire();
