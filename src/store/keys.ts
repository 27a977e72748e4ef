/**
 * The single-table key layout (documented in the README):
 *
 *   pk                         sk                  what
 *   T#<tenant>#S#<sessionId>   SESSION             the session (also in GSI byUser)
 *   T#<tenant>#S#<sessionId>   MSG#<seq, 8 digits> one message
 *   T#<tenant>#S#<sessionId>   CMID#<clientMsgId>  idempotency record of a sendMessage
 *   T#<tenant>#TOPIC#<topicId> HOLD                the live session holding the topic
 *
 *   GSI byUser: gsi1pk = T#<tenant>#U#<userId>, gsi1sk = <lastActivityAt ISO>#<sessionId>
 *
 * Ids from tokens are URI-encoded so a "#" in a tenant or user id cannot forge a key.
 */
export const BY_USER_INDEX = 'byUser';
export const TTL_ATTRIBUTE = 'ttl';

const enc = encodeURIComponent;
const SEQ_DIGITS = 8;

export interface Key {
  pk: string;
  sk: string;
}

export const sessionPk = (tenantId: string, sessionId: string) => `T#${enc(tenantId)}#S#${sessionId}`;
export const sessionKey = (tenantId: string, sessionId: string): Key => ({ pk: sessionPk(tenantId, sessionId), sk: 'SESSION' });
export const holdKey = (tenantId: string, topicId: string): Key => ({ pk: `T#${enc(tenantId)}#TOPIC#${topicId}`, sk: 'HOLD' });
export const messageSk = (seq: number) => `MSG#${String(seq).padStart(SEQ_DIGITS, '0')}`;
export const messageKey = (tenantId: string, sessionId: string, seq: number): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: messageSk(seq),
});
export const clientMessageKey = (tenantId: string, sessionId: string, clientMessageId: string): Key => ({
  pk: sessionPk(tenantId, sessionId),
  sk: `CMID#${clientMessageId}`,
});
export const MESSAGE_SK_FIRST = messageSk(1);
export const MESSAGE_SK_LAST = messageSk(10 ** SEQ_DIGITS - 1);

export const userGsiPk = (tenantId: string, userId: string) => `T#${enc(tenantId)}#U#${enc(userId)}`;
export const userGsiSk = (lastActivityAt: number, sessionId: string) => `${new Date(lastActivityAt).toISOString()}#${sessionId}`;

/** DynamoDB's `ttl` is epoch seconds; domain times are epoch milliseconds. */
export const toTtl = (ms: number) => Math.ceil(ms / 1000);
export const nowSeconds = (now: number) => Math.floor(now / 1000);
