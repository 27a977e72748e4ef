import { randomBytes } from 'node:crypto';
import { badInput } from './errors';

/** "ses_" + 26 Crockford base32 (time-ordered), so a malformed id is refused before the store. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SESSION_ID = /^ses_[0-9A-HJKMNP-TV-Z]{26}$/;

export function newSessionId(now: number): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(16);
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[bytes[i] % 32];
  return `ses_${time}${rand}`;
}

export const isSessionId = (value: string) => SESSION_ID.test(value);

/** Client message ids are the client's own; we only bound their shape. */
const CLIENT_MESSAGE_ID = /^[A-Za-z0-9._:-]{1,64}$/;
export const isClientMessageId = (value: string) => CLIENT_MESSAGE_ID.test(value);

const TOPIC_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const isTopicId = (value: string) => TOPIC_ID.test(value);

/**
 * A message's id, as the API shows it: `<sessionId>:<seq>`, and `<sessionId>:<seq>r<revision>`
 * for a coach reply regenerated `revision` times (regenerateReply gives the new reply a new id).
 */
export const messageId = (sessionId: string, seq: number, revision = 0) => (revision > 0 ? `${sessionId}:${seq}r${revision}` : `${sessionId}:${seq}`);

/** The seq and revision of a message id (see messageId) of this session; BAD_USER_INPUT for anything else. */
export function parseMessageRef(sessionId: string, id: string): { seq: number; revision: number } {
  const match = /^(.+):(\d{1,9})(?:r(\d{1,9}))?$/.exec(id);
  const seq = match ? Number(match[2]) : 0;
  const revision = match?.[3] !== undefined ? Number(match[3]) : 0;
  if (!match || match[1] !== sessionId || seq < 1 || (match[3] !== undefined && revision < 1)) {
    throw badInput('messageId is not a message of this session', { argumentName: 'messageId' });
  }
  return { seq, revision };
}

/** The seq of a message id of this session (any revision); BAD_USER_INPUT for anything else. */
export const parseMessageId = (sessionId: string, id: string): number => parseMessageRef(sessionId, id).seq;

const MAX_USER_ID = 256;

/** A user id an admin names in an argument (elsewhere they come from tokens): bounded, clean text. */
export function assertUserId(userId: string, argumentName: string): void {
  if (!userId.trim() || userId.length > MAX_USER_ID) {
    throw badInput(`"${argumentName}" must be 1 to ${MAX_USER_ID} characters`, { argumentName });
  }
  if (/[\u0000-\u001F\u007F-\u009F]/.test(userId) || !userId.isWellFormed()) {
    throw badInput(`"${argumentName}" contains control characters or invalid Unicode`, { argumentName });
  }
}
