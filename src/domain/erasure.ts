import { Message, Session } from './session';
import { ERASED_CONTENT, ERASED_RESULT, TransferEntry } from './user-data';

/**
 * The right to erasure (docs/administration.md), as rules both repositories apply: which of
 * a session an erasure reaches, which messages it redacts and how, and how the session and
 * its transfer history name the erased user afterwards. No I/O: the store finds the items.
 */

/**
 * A session the user owns, or one nobody can read any more (gone or expired), goes whole;
 * someone else's readable session keeps everything but what is the user's.
 */
export function erasureReach(readable: { userId: string } | null, userId: string): 'whole' | 'theirs' {
  return readable === null || readable.userId === userId ? 'whole' : 'theirs';
}

/**
 * Walks a conversation in seq order and says what of each message an erasure of `userId`
 * redacts: 'theirs' (a message they wrote) or 'answer' (what the coach wrote in answer: a
 * reply to one of theirs, or a welcome back whose nearest preceding user message is theirs,
 * since it sums up their words); null: it stays. One walker per conversation.
 */
export function redactionWalker(userId: string): (m: Message) => 'theirs' | 'answer' | null {
  const theirs = new Set<number>();
  let lastAuthor: string | null = null;
  return (m) => {
    if (m.role === 'USER') {
      lastAuthor = m.authorId ?? null;
      if (lastAuthor !== userId) return null;
      theirs.add(m.seq);
      return 'theirs';
    }
    return (m.replyTo !== undefined ? theirs.has(m.replyTo) : lastAuthor === userId) ? 'answer' : null;
  };
}

/** A redacted message keeps its seq (the conversation keeps its shape); its words, author and client message id go. */
export function redactedMessage(m: Message): Message {
  const { authorId: _author, clientMessageId: _cmid, ...rest } = m;
  return { ...rest, content: ERASED_CONTENT };
}

/**
 * Someone else's session after an erasure of `userId`: the pseudonym in its transfer audit,
 * ownerships and consents (who may see the redacted turns stays as it was) and, when their
 * messages were redacted, one more redaction and no result extracted from them
 * (`resultDropped`: the owner's outcome loses it too); a new version. Null when nothing changes.
 */
export function redactedSession(s: Session, userId: string, pseudonym: string, messagesRedacted: boolean): { session: Session; resultDropped: boolean } | null {
  const name = (u: string) => (u === userId ? pseudonym : u);
  const next: Session = { ...s };
  let changed = messagesRedacted;
  if (s.transfer && (s.transfer.from === userId || s.transfer.by === userId)) {
    next.transfer = { ...s.transfer, from: name(s.transfer.from), by: name(s.transfer.by) };
    changed = true;
  }
  if (s.owners?.some((o) => o.userId === userId)) {
    next.owners = s.owners.map((o) => ({ ...o, userId: name(o.userId) }));
    changed = true;
  }
  if (s.sharedBy?.includes(userId)) {
    next.sharedBy = s.sharedBy.map(name);
    changed = true;
  }
  const resultDropped = messagesRedacted && s.status === 'COMPLETED' && !!s.result;
  if (resultDropped) Object.assign(next, { result: null, resultError: ERASED_RESULT });
  if (messagesRedacted) next.redactions = (s.redactions ?? 0) + 1;
  if (!changed) return null;
  // A new version: a write from a copy read before the erasure fails, and cannot bring the user's name back.
  next.version = s.version + 1;
  return { session: next, resultDropped };
}

/** A transfer entry naming `userId` names the pseudonym instead (the history is append-only: the entry stays); null when it does not name them. */
export function redactedTransfer(t: TransferEntry, userId: string, pseudonym: string): TransferEntry | null {
  if (![t.from, t.to, t.by].includes(userId)) return null;
  const name = (u: string) => (u === userId ? pseudonym : u);
  return { ...t, from: name(t.from), to: name(t.to), by: name(t.by) };
}
