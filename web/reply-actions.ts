/**
 * What the owner can do with a coach message of an ACTIVE session: rate it (1-5 stars,
 * `rateReply`: any coach message, a later rating replaces it) and, on the latest reply,
 * ask for another one (`regenerate`, regenerate.ts: it replaces the reply in place, with a
 * new id and no rating). Errors land in the banner like every other action's.
 */
import { run } from './api.js';
import { RateReplyDocument } from './generated/graphql.js';
import { renderMessages } from './messages-view.js';
import { regenerateReply } from './regenerate.js';
import { mergeMessages, state, type Message } from './state.js';
import { newClientMessageId } from './stream.js';
import { action, el } from './ui.js';

/** Set by demo.ts: what the page does once the session changed (the header, the send box...). */
let sessionChanged = () => renderMessages();
export const onSessionChanged = (fn: () => void) => void (sessionChanged = fn);

const STARS = [1, 2, 3, 4, 5];

/** Stars (buttons, aria-pressed on the rating given) and, on the latest reply, "Regenerate"; null for a user message. */
export function replyControls(m: Message): HTMLElement | null {
  if (m.role !== 'ASSISTANT') return null;
  const active = state.session?.status === 'ACTIVE';
  const busy = state.regenerating !== null;
  const rating = m.rating ?? null;
  // An ended or paused session: the rating given stays visible, nothing can be changed.
  if (!active && rating === null) return null;
  const stars = el('span', { className: 'stars', data: { testid: 'rating' } });
  stars.setAttribute('role', 'group');
  stars.setAttribute('aria-label', rating === null ? 'Rate this reply' : `Rated ${rating} of 5`);
  for (const n of STARS) {
    const star = el('button', { className: n <= (rating ?? 0) ? 'star on' : 'star', data: { testid: `rate-${n}` } }, '★');
    star.type = 'button';
    star.setAttribute('aria-label', `${n} of 5`);
    star.setAttribute('aria-pressed', String(n === rating));
    star.disabled = !active || busy;
    star.addEventListener('click', action(star, () => rate(m, n)));
    stars.append(star);
  }
  const box = el('div', { className: 'reply-actions' }, stars);
  if (active && isLatestReply(m)) {
    const again = el('button', { className: 'link regenerate', data: { testid: 'regenerate' } }, 'Regenerate');
    again.type = 'button';
    again.setAttribute('aria-label', 'Regenerate this reply');
    again.disabled = busy || state.sending !== null;
    again.addEventListener('click', action(again, () => regenerate(m)));
    box.append(again);
  }
  return box;
}

/** The last message, a coach reply to a message (an opening or a welcome back answers nothing: the server refuses those). */
const isLatestReply = (m: Message) => state.messages[state.messages.length - 1]?.id === m.id && m.inReplyTo !== null;

async function rate(m: Message, rating: number): Promise<void> {
  const rated = (await run(RateReplyDocument, { sessionId: state.session!.id, messageId: m.id, rating })).rateReply;
  const shown = state.messages.find((x) => x.id === rated.id);
  if (shown) mergeMessages({ ...shown, rating: rated.rating });
  renderMessages();
}

/** The reply's text gives way to the new one as the coach writes it; on failure the old one stays. */
async function regenerate(m: Message): Promise<void> {
  const sessionId = state.session!.id;
  state.regenerating = { messageId: m.id, textSoFar: '' };
  renderMessages();
  try {
    await regenerateReply(sessionId, m.id, newClientMessageId(), {
      restart: () => {
        if (state.regenerating) state.regenerating.textSoFar = '';
      },
      delta: (text) => {
        if (state.regenerating) state.regenerating.textSoFar += text;
        renderMessages();
      },
      reply: (reply, session) => {
        if (state.session?.id !== sessionId) return;
        mergeMessages(reply);
        if (session) state.session = session;
      },
    });
  } finally {
    state.regenerating = null;
    if (state.session?.id === sessionId) sessionChanged();
  }
}
