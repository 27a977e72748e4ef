/**
 * The conversation: stored messages in seq order, threaded (a reply names the message it
 * answers, `inReplyTo`, marked as data-reply-to), then what is on its way: the message
 * being sent, the reply as it is written (streamed pieces) or a "writing" mark, and a
 * welcome back still coming. Only stored messages are list items of #messages; a reply
 * being regenerated shows the new text as it comes, in its place. A coach message carries
 * its controls (rating, regenerate: reply-actions.ts, set by demo.ts).
 */
import { state, type Message } from './state.js';
import { $, byTest, el, say } from './ui.js';

/** The controls under a stored message (none by default). */
let controlsFor: (m: Message) => HTMLElement | null = () => null;
export const setMessageControls = (fn: (m: Message) => HTMLElement | null) => void (controlsFor = fn);

const clip = (text: string, max = 60) => (text.length > max ? `${text.slice(0, max - 3)}...` : text);

function messageItem(m: Message, i: number): HTMLLIElement {
  const regenerating = state.regenerating?.messageId === m.id ? state.regenerating : null;
  const text = regenerating ? regenerating.textSoFar || 'Your coach is writing another reply…' : m.content;
  const li = el('li', { className: m.role, data: { testid: `message-${m.role.toLowerCase()}`, messageId: m.id, replyTo: m.inReplyTo ?? undefined } });
  li.append(el('span', { className: 'text', data: { testid: 'message-text', regenerating: regenerating ? String(regenerating.textSoFar !== '') : undefined } }, text));
  const controls = controlsFor(m);
  if (controls) li.append(controls);
  // When the message a reply answers is not the one just above, say which.
  const answered = m.inReplyTo ? state.messages.find((x) => x.id === m.inReplyTo) : undefined;
  if (answered && state.messages[i - 1]?.id !== answered.id) {
    li.prepend(el('small', { className: 'reply-to', data: { testid: 'reply-to' } }, `↳ ${clip(answered.content)}`));
  }
  return li;
}

export function renderMessages(): void {
  const list = $('#messages');
  list.replaceChildren(...state.messages.map(messageItem));
  const pending: HTMLElement[] = [];
  if (state.sending?.content) pending.push(el('div', { className: 'USER pending', data: { testid: 'sending' } }, state.sending.content));
  if (state.sending) {
    // A streamed reply shows its text so far; a plain send, that the coach is writing.
    const text = state.sending.replySoFar || 'Your coach is writing…';
    pending.push(el('div', { className: 'ASSISTANT pending', data: { testid: 'reply-pending', streaming: String(state.sending.replySoFar !== '') } }, text));
  }
  $('#pending').replaceChildren(...pending);
  say(byTest('welcome-pending'), state.welcomePending ? 'Your coach is writing a welcome back…' : null);
  list.scrollTop = list.scrollHeight;
}
