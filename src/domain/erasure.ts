import { Message, Session } from './session';
import { ERASED_CONTENT, ERASED_RESULT, TransferEntry } from './user-data';

/** The right to erasure's rules, applied by both repositories (docs/administration.md); no I/O. */

/** The user's own or an unreadable session goes whole; someone else's keeps all but the user's part. */
export function erasureReach(readable: { userId: string } | null, userId: string): 'whole' | 'theirs' {
  return readable === null || readable.userId === userId ? 'whole' : 'theirs';
}

/**
 * Per message in seq order: 'theirs', 'answer' (a reply to theirs, or a welcome back that
 * sums up their words) or null (stays). One walker per conversation.
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

/** Someone else's session with the user pseudonymised (and their result dropped); null: unchanged. */
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
  if (messagesRedacted) {
    next.redactions = (s.redactions ?? 0) + 1;
    // The coach's memory may quote the user: it is folded again from the redacted messages.
    delete next.summary;
    delete next.summaryThrough;
    delete next.title;
  }
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
