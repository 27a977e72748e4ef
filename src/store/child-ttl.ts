import { childExpiresAt, nextChildFloor } from '../domain/child-ttl';
import { Session } from '../domain/session';
import { StaleSessionError } from '../sessions/repository';
import { CHILD_TTL, childTtlOfItem, sessionKey, sessionPk } from './items/session';
import { keyOf } from './keys';
import { CLIENT_MESSAGE } from './items/client-message';
import { MENTION } from './items/mention';
import { MESSAGE } from './items/message';
import { REGENERATION } from './items/regeneration';
import { TRANSFER, USER_TRANSFER } from './items/transfer';
import { inPartition, Item, params, projection, toTtl, typeOf } from './schema';
import { conditional, TableIO } from './table-io';
import { childTtlUpdate, raiseChildTtlTxs } from './transactions';

/** The children's ttl rule (domain/child-ttl.ts) on the table: the session keeps their floor in `childTtl`. */

/** The ttl a child of `session` is written with. */
export const childTtlOf = (session: Session) => toTtl(childExpiresAt(session));

/** The items of a session's partition that follow its ttl this way: all but the session item itself. */
const CHILD_TYPES = new Set([MESSAGE, CLIENT_MESSAGE, REGENERATION, MENTION, TRANSFER, USER_TRANSFER]);
/** Children settled at once when a session ends. */
const SETTLE_CONCURRENCY = 10;

/** The floor a write starts from travels in `Session.stored`, so writes need no extra read. */
export class ChildTtlTracker {
  constructor(private readonly io: TableIO) {}

  /** When the session's new ttl passes the children's floor, every child is raised first. */
  async floorFor(previous: Session, next: Session, now: number): Promise<{ before: number; after: number }> {
    const floor = await this.current(previous);
    const rule = nextChildFloor(floor * 1000, next);
    const after = toTtl(rule.floor);
    if (rule.raise) await this.raise(previous, after, now);
    return { before: floor, after };
  }

  /** After a session ends, its children follow its expiry; targeted updates so an erasure is never undone. */
  async settle(ended: Session): Promise<void> {
    const ttl = childTtlOf(ended);
    for await (const children of this.childPages(ended)) {
      for (let i = 0; i < children.length; i += SETTLE_CONCURRENCY) {
        const some = children.slice(i, i + SETTLE_CONCURRENCY);
        await Promise.all(some.map((child) => conditional(this.io.update(childTtlUpdate(this.io.table, keyOf(child), ttl)))));
      }
    }
  }

  private async current(session: Session): Promise<number> {
    const known = session.stored?.childTtl;
    if (known !== undefined && known !== null) return known;
    const item = await this.io.get(sessionKey(session.tenantId, session.id), { projection: CHILD_TTL });
    return childTtlOfItem(item) ?? 0;
  }

  /** Raises every child's ttl, guarded by `previous` still being current (transactions.ts). */
  private async raise(previous: Session, ttl: number, now: number): Promise<void> {
    for await (const children of this.childPages(previous)) {
      for (const tx of raiseChildTtlTxs(this.io.table, previous, children.map(keyOf), ttl, now)) {
        await this.io.transact(tx, () => new StaleSessionError(previous.id));
      }
    }
  }

  /** The session's children (messages, records, transfer entries, mentions), a query page at a time. */
  private async *childPages(session: Session): AsyncGenerator<Item[]> {
    const pages = this.io.queryPages({
      ...params({ KeyConditionExpression: inPartition(sessionPk(session.tenantId, session.id)), ProjectionExpression: projection('pk', 'sk', 'type') }),
      ConsistentRead: true,
    });
    for await (const page of pages) yield page.filter((i) => CHILD_TYPES.has(typeOf(i)));
  }
}
