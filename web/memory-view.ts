/**
 * The session's title and "What the coach remembers" (its rolling summary, docs/coach.md#memory).
 * The server writes both in the background after a reply (the title after the first
 * exchange, the summary once older turns leave the coach's window), so the reply's own
 * answer does not carry them yet: after each turn the page reads them again
 * (`SessionMemory`, a few small reads at most) until one of them changed.
 */
import { run } from './api.js';
import { SessionMemoryDocument } from './generated/graphql.js';
import { state, type Session } from './state.js';
import { byTest, say } from './ui.js';

/** How often, and how many times, to look for a new title or summary after a turn. */
const MEMORY_POLL_MS = 500;
const MEMORY_POLLS = 4;

export function renderMemory(s: Session): void {
  say(byTest('session-title'), s.title ?? null);
  const summary = byTest('memory-summary');
  summary.textContent = s.summary ?? 'Nothing yet: the coach still sees the whole conversation. Older turns are folded in here once the conversation outgrows its window.';
  summary.classList.toggle('empty', !s.summary);
}

/** The title and summary of a session, or null when it cannot be read (gone, not the caller's). */
export async function readMemory(sessionId: string): Promise<{ title: string | null; summary: string | null } | null> {
  return (await run(SessionMemoryDocument, { id: sessionId })).session;
}

/** After a turn: reads title and summary again until they changed (or a few tries), then shows them. */
export async function watchMemory(sessionId: string, rerender: () => void): Promise<void> {
  for (let i = 0; i < MEMORY_POLLS; i++) {
    await new Promise((r) => setTimeout(r, MEMORY_POLL_MS));
    const memory = await readMemory(sessionId).catch(() => null);
    const now = state.session;
    if (!memory || now?.id !== sessionId) return;
    if (memory.title === now.title && memory.summary === now.summary) continue;
    state.session = { ...now, title: memory.title, summary: memory.summary };
    rerender();
    return;
  }
}
