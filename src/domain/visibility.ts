import { lastSeqOf, Message, Ownership, Session } from './session';

/**
 * Who may read which message (docs/administration.md, "Transfers and consent"): a message
 * belongs to the ownership its seq falls in, and a transfer starts the new one after every
 * seq handed out, so a reply on its way lands in the earlier ownership.
 */

/** The owner of seqs whose author nobody may see (an ownership folded away, or from before the rule). */
export const NOBODY = '';
/** Ownerships kept per session; beyond this the oldest two fold into NOBODY's (hidden from all: the safe side). */
export const MAX_OWNERSHIPS = 50;
/** Legacy transfers: coach messages within this after the transfer answer the previous owner (> coach timeout ceiling). */
export const LEGACY_GRACE_MS = 15 * 60_000;

/** The recorded ownerships; a session never transferred is its owner's from seq 1; null: transferred before the rule. */
export function ownershipsOf(s: Pick<Session, 'userId' | 'owners' | 'transfer'>): Ownership[] | null {
  if (s.owners?.length) return s.owners;
  return s.transfer ? null : [{ userId: s.userId, fromSeq: 1 }];
}

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

/** Legacy: only the owner's own messages after the latest transfer, and coach ones past LEGACY_GRACE_MS. */
function legacyVisible(s: Session, m: Message): boolean {
  const at = s.transfer!.at;
  return m.role === 'USER' ? m.createdAt > at && m.authorId === s.userId : m.createdAt > at + LEGACY_GRACE_MS;
}

/** Readable seq ranges, ascending and inclusive (the last open); null: a session from before the rule. */
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

/** Empty ownerships are replaced, one owner's neighbours merge, past MAX_OWNERSHIPS the oldest fold into NOBODY's. */
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
