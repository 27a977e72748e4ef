import { Message, Session } from '../../src/domain/session';
import { LEGACY_GRACE_MS, MAX_OWNERSHIPS, NOBODY, ownershipsAfterTransfer, visibleRanges, visibleToOwner } from '../../src/domain/visibility';
import { MessagePageRequest } from '../../src/sessions/repository';
import { listVisibleMessages } from '../../src/sessions/visible-messages';

const T0 = Date.UTC(2026, 0, 1);

function session(over: Partial<Session> = {}): Session {
  return {
    id: 'ses_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    tenantId: 't',
    userId: 'uma',
    topicId: 'purpose',
    status: 'ACTIVE',
    createdAt: T0,
    updatedAt: T0,
    lastActivityAt: T0,
    endedAt: null,
    expiresAt: T0 + 86_400_000,
    messageCount: 0,
    version: 1,
    ...over,
  };
}

const msg = (seq: number, over: Partial<Message> = {}): Message => ({ sessionId: 's', seq, role: seq % 2 ? 'ASSISTANT' : 'USER', content: `m${seq}`, createdAt: T0 + seq, ...over });

/** Messages 1..n, and every listMessages call (what it was asked, what it returned). */
function store(n: number) {
  const all = Array.from({ length: n }, (_, i) => msg(i + 1));
  const calls: { page: MessagePageRequest; got: number[] }[] = [];
  const repo = {
    async listMessages(_t: string, _s: string, page: MessagePageRequest) {
      const until = page.until ?? null;
      const inRange = all.filter((m) => until === null || (page.direction === 'forward' ? m.seq <= until : m.seq >= until));
      const rows =
        page.direction === 'forward'
          ? inRange.filter((m) => m.seq > (page.from ?? 0)).slice(0, page.limit)
          : inRange.filter((m) => m.seq < (page.from ?? Infinity)).slice(-page.limit);
      calls.push({ page, got: rows.map((m) => m.seq) });
      return rows;
    },
  };
  return { repo, calls };
}

describe('ownerships', () => {
  test('a transfer starts a new ownership after every seq handed out; an empty one is replaced and neighbours merge', () => {
    const s = session({ lastSeq: 4, messageCount: 4 });
    const toVal = ownershipsAfterTransfer(s, 'val');
    expect(toVal).toEqual([{ userId: 'uma', fromSeq: 1 }, { userId: 'val', fromSeq: 5 }]);
    // val wrote nothing before moving it back: uma owns it all again.
    expect(ownershipsAfterTransfer({ ...s, userId: 'val', owners: toVal }, 'uma')).toEqual([{ userId: 'uma', fromSeq: 1 }]);
    // val wrote: three ownerships.
    expect(ownershipsAfterTransfer({ ...s, userId: 'val', owners: toVal, lastSeq: 6 }, 'uma')).toEqual([
      { userId: 'uma', fromSeq: 1 },
      { userId: 'val', fromSeq: 5 },
      { userId: 'uma', fromSeq: 7 },
    ]);
  });

  test('past the bound the oldest fold into nobody: hidden from everyone, never shown', () => {
    let s = session({ lastSeq: 2 });
    for (let i = 0; i < MAX_OWNERSHIPS + 5; i++) {
      const to = i % 2 ? 'uma' : 'val';
      s = { ...s, owners: ownershipsAfterTransfer(s, to), userId: to, lastSeq: (s.lastSeq ?? 0) + 2 };
    }
    expect(s.owners!.length).toBeLessThanOrEqual(MAX_OWNERSHIPS);
    expect(s.owners![0].userId).toBe(NOBODY);
    expect(visibleToOwner(s, msg(1))).toBe(false);
    expect(visibleToOwner({ ...s, sharedBy: [NOBODY] }, msg(1))).toBe(false);
  });

  test('the owner sees their ownerships and those of authors who consented', () => {
    const owners = [
      { userId: 'uma', fromSeq: 1 },
      { userId: 'val', fromSeq: 5 },
      { userId: 'wes', fromSeq: 9 },
    ];
    const s = session({ userId: 'wes', owners, lastSeq: 12 });
    expect([2, 6, 10].map((q) => visibleToOwner(s, msg(q)))).toEqual([false, false, true]);
    expect(visibleRanges(s)).toEqual([[9, Infinity]]);
    const shared = { ...s, sharedBy: ['uma'] };
    expect([2, 6, 10].map((q) => visibleToOwner(shared, msg(q)))).toEqual([true, false, true]);
    expect(visibleRanges(shared)).toEqual([[1, 4], [9, Infinity]]);
  });

  test('a session transferred before ownerships were recorded shows only what came after the transfer (and its grace for the coach)', () => {
    const at = T0 + 100;
    const s = session({ userId: 'val', transfer: { at, by: 'ad1', from: 'uma' } });
    expect(visibleRanges(s)).toBeNull();
    expect(visibleToOwner(s, msg(2, { authorId: 'uma', createdAt: at - 1 }))).toBe(false);
    expect(visibleToOwner(s, msg(4, { authorId: 'val', createdAt: at + 1 }))).toBe(true);
    expect(visibleToOwner(s, msg(3, { createdAt: at + 1 }))).toBe(false);
    expect(visibleToOwner(s, msg(5, { createdAt: at + LEGACY_GRACE_MS + 1 }))).toBe(true);
  });
});

describe('listVisibleMessages', () => {
  const owners = [
    { userId: 'uma', fromSeq: 1 },
    { userId: 'val', fromSeq: 11 },
    { userId: 'uma', fromSeq: 31 },
  ];
  const s = session({ owners, lastSeq: 40 });

  test('forward pages skip the hidden range without reading it', async () => {
    const { repo, calls } = store(40);
    const page = await listVisibleMessages(repo, s, { direction: 'forward', from: 5, limit: 8 }, 0);
    expect(page.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10, 31, 32, 33]);
    expect(calls.flatMap((c) => c.got).filter((q) => q > 10 && q < 31)).toEqual([]);
  });

  test('backward pages too, newest first read, ascending in the result', async () => {
    const { repo, calls } = store(40);
    expect((await listVisibleMessages(repo, s, { direction: 'backward', from: null, limit: 12 }, 0)).map((m) => m.seq)).toEqual([
      9, 10, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    ]);
    expect((await listVisibleMessages(repo, s, { direction: 'backward', from: 31, limit: 3 }, 0)).map((m) => m.seq)).toEqual([8, 9, 10]);
    expect(calls.flatMap((c) => c.got).filter((q) => q > 10 && q < 31)).toEqual([]);
  });

  test('nothing visible left: an empty page', async () => {
    const { repo } = store(40);
    const val = session({ userId: 'val', owners, lastSeq: 40 });
    expect((await listVisibleMessages(repo, val, { direction: 'forward', from: 30, limit: 5 }, 0)).map((m) => m.seq)).toEqual([]);
    expect((await listVisibleMessages(repo, val, { direction: 'backward', from: 11, limit: 5 }, 0)).map((m) => m.seq)).toEqual([]);
    expect((await listVisibleMessages(repo, val, { direction: 'forward', from: null, limit: 50 }, 0)).map((m) => m.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 11),
    );
  });
});
