/**
 * Transfers with consent over HTTP (docs/administration.md, "Transfers and consent"): without
 * its author's consent, no chain of transfers lets anyone but the author read what was written
 * before a transfer, nor sends it to the new owner's coach; with it, the author's part moves.
 * myTransfers lists a user's transfers with the admin who made each.
 */
import {
  CancelSessionDocument,
  CompleteSessionWithResultDocument,
  ExportMyDataDocument,
  MessageReplyDocument,
  MyTransfersDocument,
  PauseSessionDocument,
  ResumeSessionDocument,
  SendMessageDocument,
  SessionCheckTurnsDocument,
  SessionConsentDocument,
  SessionDocument,
  SessionTransfersDocument,
  SetAllowTransferWithContentDocument,
  StartSessionDocument,
  TransferSessionDocument,
} from '../generated/graphql/graphql';
import { DAY, FakeClock } from '../support/clock';
import { RecordingCoach } from '../support/recording-coach';
import { codeOf, gql, ok, startTestServer, TestServer, tokenFor } from '../support/server';

let server: TestServer;
const clock = new FakeClock(Date.UTC(2026, 8, 1, 8, 0, 0));
const coach = new RecordingCoach();

beforeAll(async () => {
  server = await startTestServer({ clock, coach });
});
afterAll(() => server.stop());

/** The users of one tenant: each test has its own, so topics never collide. */
async function tenant(name: string) {
  const [uma, val, wes, ad1, ad2] = await Promise.all([
    tokenFor(name, 'uma'),
    tokenFor(name, 'val'),
    tokenFor(name, 'wes'),
    tokenFor(name, 'ad1', { roles: ['admin'] }),
    tokenFor(name, 'ad2', { roles: ['admin'] }),
  ]);
  // Everyone has had a session here (cancelled, freeing the topic), so a session can be transferred to them.
  for (const t of [val, wes, ad1, ad2]) {
    const { id } = await start('goals', t);
    ok(await gql(server.url, CancelSessionDocument, { sessionId: id }, t));
  }
  return { uma, val, wes, ad1, ad2 };
}

const start = async (topicId: string, token: string) => ok(await gql(server.url, StartSessionDocument, { topicId }, token)).startSession;
const send = async (sessionId: string, content: string, token: string, clientMessageId?: string) =>
  ok(await gql(server.url, SendMessageDocument, { sessionId, content, clientMessageId }, token)).sendMessage;
const transfer = async (sessionId: string, toUserId: string, admin: string) =>
  ok(await gql(server.url, TransferSessionDocument, { sessionId, toUserId }, admin)).transferSession;
const consent = async (sessionId: string, allow: boolean, token: string) =>
  ok(await gql(server.url, SetAllowTransferWithContentDocument, { sessionId, allow }, token)).setAllowTransferWithContent;
/** Every message the caller can page through, forward and backward. */
async function readable(sessionId: string, token: string) {
  const forward = ok(await gql(server.url, SessionDocument, { id: sessionId, first: 100 }, token)).session!;
  const backward = ok(await gql(server.url, SessionDocument, { id: sessionId, last: 100 }, token)).session!;
  const nodes = forward.messages.edges.map((e) => e.node);
  expect(backward.messages.edges.map((e) => e.node.id)).toEqual(nodes.map((n) => n.id));
  return { session: forward, nodes, text: nodes.map((n) => n.content).join('\n') };
}

describe('a transfer without consent', () => {
  test("admin1 -> admin2 -> admin1: neither admin reads the user's messages, nor does their coach get them", async () => {
    const { uma, ad1, ad2 } = await tenant('chain');
    const s = await start('purpose', uma);
    await send(s.id, 'CHAIN-SECRET my purpose is private', uma);
    const before = (await readable(s.id, uma)).nodes.length;
    expect(before).toBe(3);
    await transfer(s.id, 'ad2', ad1);
    expect((await readable(s.id, ad2)).nodes).toEqual([]);
    await transfer(s.id, 'ad1', ad2);
    const seen = await readable(s.id, ad1);
    expect(seen.nodes).toEqual([]);
    // The hold, status and turns moved; messageCount counts every stored message.
    expect(seen.session).toMatchObject({ userId: 'ad1', status: 'ACTIVE', turnCount: 1, messageCount: 3 });
    expect(coach.textOf(s.id)).toContain('CHAIN-SECRET'); // uma's own turn saw it
    coach.seen.delete(s.id);
    const turn = await send(s.id, 'what did they say before?', ad1);
    expect(coach.textOf(s.id)).toContain('what did they say before?');
    expect(coach.textOf(s.id)).not.toContain('CHAIN-SECRET');
    expect(turn.reply.content).not.toContain('CHAIN-SECRET');
    const after = await readable(s.id, ad1);
    expect(after.nodes.map((n) => n.content)).toEqual(['what did they say before?', turn.reply.content]);
    expect(after.text).not.toContain('CHAIN-SECRET');
  });

  test("to a normal user: they see nothing of it, their coach neither (reply, welcome back, result), and the user's ids tell nothing", async () => {
    const { uma, val, ad1 } = await tenant('plain');
    const s = await start('strengths', uma);
    const first = await send(s.id, 'PLAIN-SECRET I am good at hiding things', uma, 'uma-1');
    await transfer(s.id, 'val', ad1);
    expect((await readable(s.id, val)).nodes).toEqual([]);
    expect(ok(await gql(server.url, SessionCheckTurnsDocument, { topicId: 'strengths' }, val)).sessionCheck).toMatchObject({ hasSession: true, turnCount: 1 });
    // uma's message and its reply are not there for val, whatever the path.
    expect(codeOf(await gql(server.url, MessageReplyDocument, { sessionId: s.id, messageId: first.message.id }, val))).toBe('NOT_FOUND');
    const retried = await gql(server.url, SendMessageDocument, { sessionId: s.id, content: first.message.content, clientMessageId: 'uma-1' }, val);
    expect(codeOf(retried)).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(retried)).not.toContain('PLAIN-SECRET');
    const seenBefore = coach.textOf(s.id);
    coach.seen.delete(s.id);
    await send(s.id, 'my own words', val);
    ok(await gql(server.url, PauseSessionDocument, { sessionId: s.id }, val));
    clock.advance(DAY);
    ok(await gql(server.url, ResumeSessionDocument, { sessionId: s.id }, val));
    const done = ok(await gql(server.url, CompleteSessionWithResultDocument, { sessionId: s.id }, val)).completeSession;
    expect(seenBefore).toContain('PLAIN-SECRET');
    expect(coach.textOf(s.id)).toContain('my own words');
    expect(coach.textOf(s.id)).not.toContain('PLAIN-SECRET');
    expect(JSON.stringify(done)).not.toContain('PLAIN-SECRET');
    expect((await readable(s.id, val)).text).not.toContain('PLAIN-SECRET');
    // Right of access: the author's export has her words, the new owner's has none of them.
    const exported = async (token: string) => JSON.stringify(ok(await gql(server.url, ExportMyDataDocument, { first: 100 }, token)).exportMyData.records);
    expect(await exported(uma)).toContain('PLAIN-SECRET');
    const valExport = await exported(val);
    expect(valExport).toContain('my own words');
    expect(valExport).not.toContain('PLAIN-SECRET');
  });
});

describe('with consent', () => {
  test("the author's part moves to the next owners and their coach", async () => {
    const { uma, val, wes, ad1 } = await tenant('consent');
    const s = await start('vision', uma);
    await send(s.id, 'SHARED-BY-UMA my vision', uma);
    const c = await consent(s.id, true, uma);
    expect(c).toMatchObject({ id: s.id, userId: 'uma', allowTransferWithContent: true });
    await transfer(s.id, 'val', ad1);
    const val1 = await readable(s.id, val);
    expect(val1.nodes).toHaveLength(3);
    expect(val1.text).toContain('SHARED-BY-UMA');
    expect(ok(await gql(server.url, SessionConsentDocument, { id: s.id }, val)).session).toMatchObject({ allowTransferWithContent: false });
    coach.seen.delete(s.id);
    await send(s.id, 'VAL-PRIVATE thoughts', val);
    expect(coach.textOf(s.id)).toContain('SHARED-BY-UMA');
    // val does not consent: wes gets uma's part (she allowed it) but not val's.
    await transfer(s.id, 'wes', ad1);
    const w = await readable(s.id, wes);
    expect(w.text).toContain('SHARED-BY-UMA');
    expect(w.text).not.toContain('VAL-PRIVATE');
    expect(w.nodes).toHaveLength(3);
  });

  test("consent by a later owner does not reveal the earlier owner's messages", async () => {
    const { uma, val, wes, ad1, ad2 } = await tenant('later');
    const s = await start('core_values', uma);
    await send(s.id, 'UMA-ONLY honesty', uma);
    await transfer(s.id, 'val', ad1);
    await send(s.id, 'VAL-SHARES courage', val);
    expect(await consent(s.id, true, val)).toMatchObject({ allowTransferWithContent: true });
    await transfer(s.id, 'wes', ad2);
    const w = await readable(s.id, wes);
    expect(w.text).toContain('VAL-SHARES');
    expect(w.text).not.toContain('UMA-ONLY');
    // The chain back through an admin changes nothing: ad1 sees val's part, never uma's.
    await transfer(s.id, 'ad1', ad2);
    const a = await readable(s.id, ad1);
    expect(a.text).toContain('VAL-SHARES');
    expect(a.text).not.toContain('UMA-ONLY');
    coach.seen.delete(s.id);
    await send(s.id, 'and now?', ad1);
    expect(coach.textOf(s.id)).not.toContain('UMA-ONLY');
    // Back to uma: her own part is hers again; val's she sees because val consented.
    await transfer(s.id, 'uma', ad2);
    const u = await readable(s.id, uma);
    expect(u.text).toContain('UMA-ONLY');
    expect(u.text).toContain('VAL-SHARES');
    expect(u.text).not.toContain('and now?');
  });
});

describe('myTransfers and setAllowTransferWithContent', () => {
  test('lists the transfers to and from the caller, newest first, with the admin who made each', async () => {
    const { uma, val, wes, ad1, ad2 } = await tenant('listing');
    const s = await start('purpose', uma);
    await consent(s.id, true, uma);
    clock.advance(1000);
    await transfer(s.id, 'val', ad1);
    clock.advance(1000);
    await transfer(s.id, 'wes', ad2);
    const mine = async (token: string, first?: number, after?: string) => ok(await gql(server.url, MyTransfersDocument, { first, after }, token)).myTransfers;
    const hop1 = { sessionId: s.id, topicId: 'purpose', fromUserId: 'uma', toUserId: 'val', byUserId: 'ad1', withContent: true };
    const hop2 = { sessionId: s.id, topicId: 'purpose', fromUserId: 'val', toUserId: 'wes', byUserId: 'ad2', withContent: false };
    expect((await mine(uma)).edges.map((e) => e.node)).toEqual([expect.objectContaining(hop1)]);
    expect((await mine(wes)).edges.map((e) => e.node)).toEqual([expect.objectContaining(hop2)]);
    const valFirst = await mine(val, 1);
    expect(valFirst.edges.map((e) => e.node)).toEqual([expect.objectContaining(hop2)]);
    expect(valFirst.pageInfo.hasNextPage).toBe(true);
    const valNext = await mine(val, 1, valFirst.pageInfo.endCursor!);
    expect(valNext.edges.map((e) => e.node)).toEqual([expect.objectContaining(hop1)]);
    expect(valNext.pageInfo.hasNextPage).toBe(false);
    // An admin who only moved the session lists nothing of it.
    expect((await mine(ad1)).edges).toEqual([]);
    // The admin history says the same.
    const history = ok(await gql(server.url, SessionTransfersDocument, { sessionId: s.id }, ad1)).sessionTransfers.edges.map((e) => e.node);
    expect(history).toEqual([expect.objectContaining(hop1), expect.objectContaining(hop2)]);
    expect(codeOf(await gql(server.url, MyTransfersDocument, { after: 'bogus' }, uma))).toBe('BAD_USER_INPUT');
    // The export pages through the partition that also lists these transfers, one record at a time.
    for (const token of [uma, val]) {
      const records: unknown[] = [];
      let after: string | null = null;
      do {
        const page: { records: unknown[]; endCursor?: string | null } = ok(await gql(server.url, ExportMyDataDocument, { first: 1, after }, token)).exportMyData;
        records.push(...page.records);
        after = page.endCursor ?? null;
      } while (after);
      expect(records.filter((r) => (r as { type: string }).type === 'transfer').length).toBeGreaterThan(0);
    }
  });

  test("an unknown session and another user's are NOT_FOUND, a malformed id BAD_USER_INPUT, and nothing changes", async () => {
    const { uma, val } = await tenant('consent-errors');
    const s = await start('vision', uma);
    expect(codeOf(await gql(server.url, SetAllowTransferWithContentDocument, { sessionId: 'ses_01ARZ3NDEKTSV4RRFFQ69G5FAV', allow: true }, uma))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server.url, SetAllowTransferWithContentDocument, { sessionId: s.id, allow: true }, val))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server.url, SetAllowTransferWithContentDocument, { sessionId: 'nope', allow: true }, uma))).toBe('BAD_USER_INPUT');
    expect(ok(await gql(server.url, SessionConsentDocument, { id: s.id }, uma)).session).toMatchObject({ allowTransferWithContent: false });
    // Withdrawing works too.
    await consent(s.id, true, uma);
    expect(await consent(s.id, false, uma)).toMatchObject({ allowTransferWithContent: false });
  });
});
