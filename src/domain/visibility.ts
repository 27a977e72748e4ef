import { lastSeqOf, Message, Ownership, Session } from './session';

/**
 * Who may read which message of a session (docs/administration.md, "Transfers and
 * consent"). A session is read only by its current owner, and of its conversation they see
 * what was written during their own ownerships (their messages, the coach's replies to them,
 * the openings and welcome backs addressed to them) and what was written during the
 * ownership of an author who consented (setAllowTransferWithContent). A message belongs to
 * the ownership its seq falls in: seqs are handed out by versioned writes, and a transfer
 * starts the new ownership after every seq handed out so far (a reply still on its way to
 * an earlier message lands in its reserved seq, in the earlier ownership).
 */

/** The owner of seqs whose author nobody may see (an ownership folded away, or from before the rule). */
export const NOBODY = '';
/** Ownerships kept per session; beyond this the oldest two fold into NOBODY's (hidden from all: the safe side). */
export const MAX_OWNERSHIPS = 50;
/**
 * Sessions transferred before ownerships were recorded: besides what was written up to the
 * transfer, the coach's messages stored within this time after it are hidden (a reply or
 * welcome back then on its way answers the previous owner). Longer than the coach timeout's
 * ceiling (10 minutes, src/config.ts).
 */
export const LEGACY_GRACE_MS = 15 * 60_000;

/** The recorded ownerships; a session never transferred is its owner's from seq 1; null: transferred before the rule. */
export function ownershipsOf(s: Pick<Session, 'userId' | 'owners' | 'transfer'>): Ownership[] | null {
  if (s.owners?.length) return s.owners;
  return s.transfer ? null : [{ userId: s.userId, fromSeq: 1 }];
}

/** Whose ownership seq falls in. */
export function ownerAt(owners: readonly Ownership[], seq: number): string {
  let owner = NOBODY;
  for (const o of owners) if (o.fromSeq <= seq) owner = o.userId;
  return owner;
}

/** The author consented to their part moving with the session. */
export const sharedBy = (s: Pick<Session, 'sharedBy'>, userId: string) => userId !== NOBODY && (s.sharedBy ?? []).includes(userId);

/** Whether the session's current owner may read `m` (the rule at the top). */
export function visibleToOwner(s: Session, m: Message): boolean {
  const owners = ownershipsOf(s);
  if (owners === null) return legacyVisible(s, m);
  const author = ownerAt(owners, m.seq);
  return author === s.userId || sharedBy(s, author);
}

/**
 * A session transferred before ownerships were recorded: only what its owner wrote after
 * the (latest) transfer, and the coach's messages from LEGACY_GRACE_MS after it on.
 */
function legacyVisible(s: Session, m: Message): boolean {
  const at = s.transfer!.at;
  return m.role === 'USER' ? m.createdAt > at && m.authorId === s.userId : m.createdAt > at + LEGACY_GRACE_MS;
}

/**
 * The seq ranges the current owner may read, ascending ([from, to], to inclusive; the last
 * one open-ended), or null when only the message itself tells (a session from before the rule).
 */
export function visibleRanges(s: Session): [number, number][] | null {
  const owners = ownershipsOf(s);
  if (owners === null) return null;
  const out: [number, number][] = [];
  owners.forEach((o, i) => {
    if (o.userId !== s.userId && !sharedBy(s, o.userId)) return;
    const to = i + 1 < owners.length ? owners[i + 1].fromSeq - 1 : Number.POSITIVE_INFINITY;
    const last = out[out.length - 1];
    if (last && last[1] + 1 >= o.fromSeq) last[1] = to;
    else if (to >= o.fromSeq) out.push([o.fromSeq, to]);
  });
  return out;
}

/**
 * The ownerships after a transfer of `s` to `to`: the new one starts after every seq handed
 * out so far. An ownership in which nothing was written is replaced, neighbours of one owner
 * merge, and past MAX_OWNERSHIPS the oldest fold into NOBODY's. A session transferred before
 * the rule keeps its whole past hidden (NOBODY's).
 */
export function ownershipsAfterTransfer(s: Session, to: string): Ownership[] {
  const fromSeq = lastSeqOf(s) + 1;
  const list = (ownershipsOf(s) ?? [{ userId: NOBODY, fromSeq: 1 }]).map((o) => ({ ...o }));
  while (list.length && list[list.length - 1].fromSeq >= fromSeq) list.pop();
  list.push({ userId: to, fromSeq });
  let merged = mergeNeighbours(list);
  while (merged.length > MAX_OWNERSHIPS) merged = mergeNeighbours([{ userId: NOBODY, fromSeq: merged[0].fromSeq }, ...merged.slice(2)]);
  return merged;
}

function mergeNeighbours(list: Ownership[]): Ownership[] {
  const out: Ownership[] = [];
  for (const o of list) if (out[out.length - 1]?.userId !== o.userId) out.push(o);
  return out;
}
