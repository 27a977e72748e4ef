import { Message, Session } from '../domain/session';
import { visibleRanges, visibleToOwner } from '../domain/visibility';
import { ByteBudget, MessagePage, MessagePageRequest, SessionRepository } from './repository';

/**
 * A page of what the owner may read (domain/visibility.ts): hidden ranges are skipped by seq
 * without being read; legacy sessions are filtered message by message.
 */
export async function listVisibleMessages(
  repo: Pick<SessionRepository, 'listMessages'>,
  session: Session,
  page: Omit<MessagePageRequest, 'until'>,
  now: number,
): Promise<Message[]> {
  const read = async (request: MessagePageRequest) => ({ messages: await repo.listMessages(session.tenantId, session.id, request, now), cut: false, bytes: 0 });
  return (await visiblePage(read, session, page, null)).messages;
}

/** Stops once the next read could pass the byte budget (`cut`: more may follow). */
export async function listVisibleMessagePage(
  repo: Pick<SessionRepository, 'listMessagePage'>,
  session: Session,
  page: Omit<MessagePageRequest, 'until'>,
  budget: ByteBudget,
  now: number,
): Promise<{ messages: Message[]; cut: boolean }> {
  const read = (request: MessagePageRequest, left: ByteBudget) => repo.listMessagePage(session.tenantId, session.id, request, left, now);
  return visiblePage(read, session, page, budget);
}

async function visiblePage(
  read: (request: MessagePageRequest, left: ByteBudget) => Promise<MessagePage>,
  session: Session,
  page: Omit<MessagePageRequest, 'until'>,
  budget: ByteBudget | null,
): Promise<{ messages: Message[]; cut: boolean }> {
  const ranges = visibleRanges(session);
  const backward = page.direction === 'backward';
  const out: Message[] = [];
  let from = page.from;
  let used = 0;
  while (out.length < page.limit) {
    const range = ranges ? nextRange(ranges, from, backward) : null;
    if (ranges && !range) break;
    // No room left for one more message of the largest size: the page ends here.
    if (budget && used > 0 && budget.bytes - used < budget.itemBytes) return { messages: out, cut: true };
    if (range) from = range.from;
    const want = page.limit - out.length;
    const got = await read({ direction: page.direction, from, limit: want, until: range?.until ?? null }, { bytes: (budget?.bytes ?? 0) - used, itemBytes: budget?.itemBytes ?? 1 });
    used += got.bytes;
    const rows = got.messages;
    const visible = ranges ? rows : rows.filter((m) => visibleToOwner(session, m));
    if (backward) out.unshift(...visible);
    else out.push(...visible);
    if (got.cut) return { messages: out, cut: true };
    if (!ranges && backward && visible.length < rows.length) break;
    if (rows.length < want) {
      // This range is done: the next read starts past it.
      if (!range || range.until === null) break;
      from = range.until;
      continue;
    }
    from = backward ? rows[0].seq : rows[rows.length - 1].seq;
  }
  return { messages: out, cut: false };
}

/** The next read's bounds (`from` exclusive, `until` inclusive) inside one visible range; null: none left. */
function nextRange(ranges: [number, number][], from: number | null, backward: boolean): { from: number | null; until: number | null } | null {
  if (!backward) {
    const next = (from ?? 0) + 1;
    const r = ranges.find(([, to]) => to >= next);
    if (!r) return null;
    return { from: Math.max(next, r[0]) - 1, until: Number.isFinite(r[1]) ? r[1] : null };
  }
  const next = from === null ? Number.POSITIVE_INFINITY : from - 1;
  const r = [...ranges].reverse().find(([lo]) => lo <= next);
  if (!r) return null;
  const top = Math.min(next, r[1]);
  return { from: Number.isFinite(top) ? top + 1 : null, until: r[0] };
}
