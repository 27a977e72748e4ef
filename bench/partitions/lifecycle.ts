import { nextChildFloor } from '../../src/domain/child-ttl';
import { ended, expiryFor, Message, Session, touched } from '../../src/domain/session';
import { outcomeOf } from '../../src/domain/user-data';
import { DEFAULT_SETTINGS } from '../../src/defaults';
import { childTtlOf } from '../../src/store/child-ttl';
import { holdKey } from '../../src/store/items/hold';
import { sessionKey, sessionPk, toStoredSession } from '../../src/store/items/session';
import { nextIndexedAt } from '../../src/store/items/session-indexes';
import { keyOf } from '../../src/store/keys';
import { toTtl, typeOf } from '../../src/store/schema';
import { appendMessageTx, appendReplyTx, childTtlUpdate, completeSessionTx, createSessionTx, raiseChildTtlTxs, SessionWrite } from '../../src/store/transactions';
import { itemBytes, Ledger } from './ledger';

/** The shape of one session's life in the mix. */
export interface LifeShape {
  /** User messages before the session is completed. */
  turns: number;
  /** Seconds between a user's messages. */
  turnSeconds: number;
  /** Characters of a user message and of a coach reply. */
  userChars: number;
  replyChars: number;
  /** Messages the coach reads back each turn (the embedded coach asks for 10). */
  coachHistory: number;
  /** The usage counters, ADDed in the reply's transaction (off: left out of it, to compare). */
  usageCounters: boolean;
}

export interface SessionIds {
  tenantId: string;
  userId: string;
  topicId: string;
  sessionId: string;
}

const TABLE = 'sim';
const SETTINGS = DEFAULT_SETTINGS;

/** How long one session holds its topic: the next one starts a turn after its last. */
export const lifeSeconds = (shape: LifeShape) => Math.max(1, shape.turns) * shape.turnSeconds;

/**
 * One session from start to completion against the real transaction builders
 * (src/store/transactions.ts) and key builders, the requests in the order the service makes
 * them (docs/performance.md "Requests per operation"): startSession reads the hold and
 * creates; each turn reads the session, the coach reads its recent messages, the user's
 * message and the reply are a transaction each; completion reads the session, ends it and
 * settles its children's ttl. Returns the ledger, whose bookings are this one life.
 */
export function liveOneSession(ids: SessionIds, shape: LifeShape, start: number, ledger = new Ledger()): Ledger {
  const opening: Message = { sessionId: ids.sessionId, seq: 1, role: 'ASSISTANT', content: 'x'.repeat(shape.replyChars), createdAt: start };
  const session: Session = {
    id: ids.sessionId,
    tenantId: ids.tenantId,
    userId: ids.userId,
    topicId: ids.topicId,
    status: 'ACTIVE',
    createdAt: start,
    updatedAt: start,
    lastActivityAt: start,
    endedAt: null,
    expiresAt: expiryFor('ACTIVE', start, null, SETTINGS),
    messageCount: 1,
    lastSeq: 1,
    version: 1,
    turnCount: 0,
  };
  ledger.getItem(holdKey(ids.tenantId, ids.topicId));
  ledger.transact(createSessionTx(TABLE, session, opening, childTtlOf(session), start));

  for (let turn = 1; turn <= shape.turns; turn++) {
    const now = start + turn * shape.turnSeconds * 1000;
    const previous = read(ledger, ids);
    const seq = (previous.lastSeq ?? previous.messageCount) + 1;
    const next: Session = { ...touched(previous, 'ACTIVE', now, SETTINGS), messageCount: previous.messageCount + 1, turnCount: (previous.turnCount ?? 0) + 1, lastSeq: seq + 1 };
    const w = sessionWrite(ledger, previous, next, now);
    const message: Message = { sessionId: ids.sessionId, seq, role: 'USER', content: 'u'.repeat(shape.userChars), createdAt: now, authorId: ids.userId, clientMessageId: `cm-${turn}` };
    ledger.transact(appendMessageTx(TABLE, w, message, message.clientMessageId!, childTtlOf(next), now));
    next.stored = { childTtl: w.floor.after, indexedAt: w.indexedAt.after };
    coachReads(ledger, ids, shape.coachHistory);
    const reply: Message = { sessionId: ids.sessionId, seq: seq + 1, role: 'ASSISTANT', content: 'r'.repeat(shape.replyChars), createdAt: now + 2000, replyTo: seq, clientMessageId: message.clientMessageId, usage: { inputTokens: 1200, outputTokens: 300 } };
    const tx = appendReplyTx(TABLE, next, reply, childTtlOf(next), now + 2000);
    // The usage counters (topic and user) are ADDed in the reply's own transaction (src/store/items/usage.ts).
    ledger.transact(shape.usageCounters ? tx : tx.filter(([part]) => part !== 'usage' && part !== 'userUsage'));
  }

  // Completed a few seconds after the last reply; the topic's next session starts a turn later.
  const end = start + shape.turns * shape.turnSeconds * 1000 + 5000;
  const previous = read(ledger, ids);
  const next: Session = { ...ended(previous, 'COMPLETED', end, SETTINGS), result: { summary: 's'.repeat(200) } };
  const w = sessionWrite(ledger, previous, next, end);
  ledger.transact(completeSessionTx(TABLE, w, outcomeOf(next, null), end));
  settle(ledger, next);
  return ledger;
}

function read(ledger: Ledger, ids: SessionIds): Session {
  return toStoredSession(ledger.getItem(sessionKey(ids.tenantId, ids.sessionId))!);
}

/** DynamoSessionRepository.sessionWrite without I/O: the children's floor (raising them when due) and the admin index time. */
function sessionWrite(ledger: Ledger, previous: Session, next: Session, now: number): SessionWrite {
  const before = previous.stored!.childTtl!;
  const rule = nextChildFloor(before * 1000, next);
  const after = toTtl(rule.floor);
  if (rule.raise) {
    const children = childrenOf(ledger, previous);
    ledger.query('table', sessionPk(previous.tenantId, previous.id), partitionBytes(ledger, previous), true);
    for (const tx of raiseChildTtlTxs(TABLE, previous, children.map(keyOf), after, now)) ledger.transact(tx);
  }
  const indexedBefore = previous.stored?.indexedAt ?? null;
  return { previous, next, floor: { before, after }, indexedAt: { before: indexedBefore, after: nextIndexedAt(indexedBefore, next) } };
}

/** The coach's recentMessages(n): one consistent Query of the last n messages. */
function coachReads(ledger: Ledger, ids: SessionIds, n: number): void {
  const messages = ledger.partition(sessionPk(ids.tenantId, ids.sessionId)).filter((i) => typeOf(i) === 'MESSAGE');
  const bytes = messages.slice(-n).reduce((b, i) => b + itemBytes(i), 0);
  ledger.query('table', sessionPk(ids.tenantId, ids.sessionId), bytes, true);
}

const childrenOf = (ledger: Ledger, s: Session) => ledger.partition(sessionPk(s.tenantId, s.id)).filter((i) => i.sk !== 'SESSION');
const partitionBytes = (ledger: Ledger, s: Session) => ledger.partition(sessionPk(s.tenantId, s.id)).reduce((b, i) => b + itemBytes(i), 0);

/** ChildTtlTracker.settle: a Query of the partition, then one UpdateItem per child. */
function settle(ledger: Ledger, s: Session): void {
  ledger.query('table', sessionPk(s.tenantId, s.id), partitionBytes(ledger, s), true);
  for (const child of childrenOf(ledger, s)) ledger.write({ Update: childTtlUpdate(TABLE, keyOf(child), childTtlOf(s)) });
}
