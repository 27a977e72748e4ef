import { OutcomePage, OutcomePageRequest } from '../sessions/repository';
import { TransferPage, TransferPageRequest, UserTransferPageRequest } from '../sessions/admin-repository';
import { mentionGsiPk, OUTCOME_SK_PREFIX, sessionPk, TRANSFER_SK_LAST, transferSk, USER_TRANSFER_GSI_PREFIX, userGsiPk, userPk, userTransferGsiSk } from './keys';
import { and, expr, Expression, INDEXES, or, params, TTL_ATTRIBUTE, unexpired } from './schema';
import { TableIO } from './table-io';
import { toOutcome, toTransfer } from './user-items';

/** Kept (no ttl) or not yet expired: outcomes only have a ttl when a retention is configured. */
const keptOrUnexpired = (now: number) => or(expr('attribute_not_exists(#ttl)', undefined, { '#ttl': TTL_ATTRIBUTE }), unexpired(now));

/**
 * Reads of a user's data besides their sessions: outcomes, a session's transfer history, and
 * whether the tenant knows a user. Each is a Query of one partition (table or byUser), never a scan.
 */
export class UserQueries {
  constructor(private readonly io: TableIO) {}

  /**
   * The user's outcomes in topic id order. Topic ids are `[a-z0-9_-]`, all above `#`, so
   * `OUTCOME#<after>#` starts right after `<after>` and `OUTCOME$` is past every outcome.
   */
  async listOutcomes(tenantId: string, userId: string, page: OutcomePageRequest, now: number): Promise<OutcomePage> {
    const lo = page.afterTopicId === null ? OUTCOME_SK_PREFIX : `${OUTCOME_SK_PREFIX}${page.afterTopicId}#`;
    const keys = expr('pk = :pk AND sk BETWEEN :lo AND :hi', { ':pk': userPk(tenantId, userId), ':lo': lo, ':hi': 'OUTCOME$' });
    const found = await this.io.queryFilteredPage({ ...params({ KeyConditionExpression: keys, FilterExpression: keptOrUnexpired(now) }), ConsistentRead: true }, page.limit);
    return { outcomes: found.slice(0, page.limit).map(toOutcome), hasNextPage: found.length > page.limit };
  }

  /** A session's transfer entries, oldest first (their sort key is the version each transfer wrote). */
  async listTransfers(tenantId: string, sessionId: string, page: TransferPageRequest, now: number): Promise<TransferPage> {
    const keys = expr('pk = :pk AND sk BETWEEN :lo AND :hi', {
      ':pk': sessionPk(tenantId, sessionId),
      ':lo': transferSk((page.afterSeq ?? 0) + 1),
      ':hi': TRANSFER_SK_LAST,
    });
    const found = await this.io.queryFilteredPage({ ...params({ KeyConditionExpression: keys, FilterExpression: unexpired(now) }), ConsistentRead: true }, page.limit);
    return { transfers: found.slice(0, page.limit).map(toTransfer), hasNextPage: found.length > page.limit };
  }

  /**
   * The transfers from or to the user, newest first: their copies in the user's mention
   * partition of byUser (sort keys `X#<at>#<session>#<seq>`), one Query. Strictly before
   * `page.before`: up to just below its sort key (BETWEEN is inclusive; the bound is the key
   * with its last digit lowered and the highest character appended, below the key itself and
   * above every key less than it).
   */
  async listUserTransfers(tenantId: string, userId: string, page: UserTransferPageRequest, now: number): Promise<TransferPage> {
    const index = INDEXES.byUser;
    const b = page.before;
    const hi = b ? justBelow(userTransferGsiSk(b.at, b.sessionId, b.seq)) : `${USER_TRANSFER_GSI_PREFIX}\uffff`;
    const keys = expr(`${index.pk} = :p AND ${index.sk} BETWEEN :lo AND :hi`, { ':p': mentionGsiPk(tenantId, userId), ':lo': USER_TRANSFER_GSI_PREFIX, ':hi': hi });
    const found = await this.io.queryFilteredPage(
      { IndexName: index.name, ...params({ KeyConditionExpression: keys, FilterExpression: unexpired(now) }), ScanIndexForward: false },
      page.limit,
    );
    return { transfers: found.slice(0, page.limit).map(toTransfer), hasNextPage: found.length > page.limit };
  }

  /**
   * The tenant holds data of the user: a session of theirs in byUser (also one stored before
   * mentions existed), a session they owned before a transfer (an owner's mention), or an
   * outcome. Stops at the first that answers; expired items do not count.
   */
  async isKnownUser(tenantId: string, userId: string, now: number): Promise<boolean> {
    const index = INDEXES.byUser;
    const inIndex = (partition: string, filter: Expression) =>
      this.any({ IndexName: index.name, ...params({ KeyConditionExpression: expr(`${index.pk} = :p`, { ':p': partition }), FilterExpression: filter }) });
    return (
      (await inIndex(userGsiPk(tenantId, userId), unexpired(now))) ||
      (await inIndex(mentionGsiPk(tenantId, userId), and(unexpired(now), expr('#owner = :yes', { ':yes': true }, { '#owner': 'owner' })))) ||
      this.any({
        ...params({ KeyConditionExpression: expr('pk = :pk AND begins_with(sk, :o)', { ':pk': userPk(tenantId, userId), ':o': OUTCOME_SK_PREFIX }), FilterExpression: keptOrUnexpired(now) }),
      })
    );
  }

  private async any(input: Parameters<TableIO['queryFilteredPage']>[0]): Promise<boolean> {
    return (await this.io.queryFilteredPage({ ...input, ProjectionExpression: 'pk' }, 0)).length > 0;
  }
}

/** A bound below `key` and above every string less than it: its last character lowered by one, then the highest one. */
function justBelow(key: string): string {
  return `${key.slice(0, -1)}${String.fromCharCode(key.charCodeAt(key.length - 1) - 1)}\uffff`;
}
