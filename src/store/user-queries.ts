import { OutcomePage, OutcomePageRequest } from '../sessions/repository';
import { TransferPage, TransferPageRequest, UserTransferPageRequest } from '../sessions/admin-repository';
import { mentionGsiPk, ownersOnly } from './items/mention';
import { userGsiPk } from './items/session';
import { toTransfer, transfersAfter, userTransferGsiSk, userTransfersUpTo } from './items/transfer';
import { and, Expression, INDEXES, indexKeys, params, PARTITION_KEY, unexpired } from './schema';
import { TableIO } from './table-io';
import { anyOutcome, keptOrUnexpired, outcomesAfter, toOutcome } from './items/outcome';

/** A user's data besides their sessions; each read is a Query of one partition, never a scan. */
export class UserQueries {
  constructor(private readonly io: TableIO) {}

  /** The user's outcomes in topic id order (outcome.ts). */
  async listOutcomes(tenantId: string, userId: string, page: OutcomePageRequest, now: number): Promise<OutcomePage> {
    const keys = outcomesAfter(tenantId, userId, page.afterTopicId);
    const found = await this.io.queryFilteredPage({ ...params({ KeyConditionExpression: keys, FilterExpression: keptOrUnexpired(now) }), ConsistentRead: true }, page.limit);
    return { outcomes: found.slice(0, page.limit).map(toOutcome), hasNextPage: found.length > page.limit };
  }

  /** A session's transfer entries, oldest first (their sort key is the version each transfer wrote). */
  async listTransfers(tenantId: string, sessionId: string, page: TransferPageRequest, now: number): Promise<TransferPage> {
    const keys = transfersAfter(tenantId, sessionId, page.afterSeq ?? 0);
    const found = await this.io.queryFilteredPage({ ...params({ KeyConditionExpression: keys, FilterExpression: unexpired(now) }), ConsistentRead: true }, page.limit);
    return { transfers: found.slice(0, page.limit).map(toTransfer), hasNextPage: found.length > page.limit };
  }

  /**
   * Newest first, from the user's mention partition. BETWEEN is inclusive, so "before" is the
   * key with its last digit lowered and the highest character appended.
   */
  async listUserTransfers(tenantId: string, userId: string, page: UserTransferPageRequest, now: number): Promise<TransferPage> {
    const index = INDEXES.byUser;
    const b = page.before;
    const keys = userTransfersUpTo(tenantId, userId, b ? justBelow(userTransferGsiSk(b.at, b.sessionId, b.seq)) : null);
    const found = await this.io.queryFilteredPage(
      { IndexName: index.name, ...params({ KeyConditionExpression: keys, FilterExpression: unexpired(now) }), ScanIndexForward: false },
      page.limit,
    );
    return { transfers: found.slice(0, page.limit).map(toTransfer), hasNextPage: found.length > page.limit };
  }

  /** A session in byUser, an owner's mention or an outcome; stops at the first that answers. */
  async isKnownUser(tenantId: string, userId: string, now: number): Promise<boolean> {
    const index = INDEXES.byUser;
    const inIndex = (partition: string, filter: Expression) =>
      this.any({ IndexName: index.name, ...params({ KeyConditionExpression: indexKeys(index, partition), FilterExpression: filter }) });
    return (
      (await inIndex(userGsiPk(tenantId, userId), unexpired(now))) ||
      (await inIndex(mentionGsiPk(tenantId, userId), and(unexpired(now), ownersOnly))) ||
      this.any(params({ KeyConditionExpression: anyOutcome(tenantId, userId), FilterExpression: keptOrUnexpired(now) }))
    );
  }

  private async any(input: Parameters<TableIO['queryFilteredPage']>[0]): Promise<boolean> {
    return (await this.io.queryFilteredPage({ ...input, ProjectionExpression: PARTITION_KEY }, 0)).length > 0;
  }
}

/** A bound below `key` and above every string less than it: its last character lowered by one, then the highest one. */
function justBelow(key: string): string {
  return `${key.slice(0, -1)}${String.fromCharCode(key.charCodeAt(key.length - 1) - 1)}\uffff`;
}
