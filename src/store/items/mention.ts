import { expr, INDEXES, params, TTL_ATTRIBUTE, TYPE_ATTRIBUTE } from '../schema';
import { TransactItem } from '../table-io';
import { sessionPk } from './session';
import { encodeId, Key } from '../keys';

/** Listed in byUser under T#<tenant>#M#<userId>, so erasure and export find the session without a scan. */
export const MENTION = 'MENTION';

const { byUser } = INDEXES;

/** An Update, so an admin's mention never clears `owner`. */
export function mentionWrite(table: string, tenantId: string, ref: { sessionId: string; topicId: string }, userId: string, owner: boolean, ttl: number): TransactItem {
  const values = {
    ':type': MENTION,
    ':sid': ref.sessionId,
    ':topic': ref.topicId,
    ':user': userId,
    ':gpk': mentionGsiPk(tenantId, userId),
    ':gsk': mentionGsiSk(ref.sessionId),
    ':ttl': ttl,
    ':owner': owner,
  };
  // OWNER is a DynamoDB reserved word: always through a name placeholder.
  const ownerSet = owner ? '#owner = :owner' : '#owner = if_not_exists(#owner, :owner)';
  const update = expr(
    `SET #type = :type, sessionId = :sid, topicId = :topic, userId = :user, ${byUser.pk} = :gpk, ${byUser.sk} = :gsk, #ttl = :ttl, ${ownerSet}`,
    values,
    { '#type': TYPE_ATTRIBUTE, '#ttl': TTL_ATTRIBUTE, '#owner': 'owner' },
  );
  return { Update: { TableName: table, Key: mentionKey(tenantId, ref.sessionId, userId), ...params({ UpdateExpression: update }) } };
}

/** A mention of an owner (not only of an admin who moved the session). */
export const ownersOnly = expr('#owner = :yes', { ':yes': true }, { '#owner': 'owner' });

export const mentionKey = (tenantId: string, sessionId: string, userId: string): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: `MENTION#${encodeId(userId)}`,
});

/** byUser's partition of the items that name a user without being their session: mentions and erasure audits they made. */
export const mentionGsiPk = (tenantId: string, userId: string) => `T#${encodeId(tenantId)}#M#${encodeId(userId)}`;

/** The sort key of a session's mention in mentionGsiPk (a session id sorts and is checked as such). */
export const mentionGsiSk = (sessionId: string) => `S#${sessionId}`;
