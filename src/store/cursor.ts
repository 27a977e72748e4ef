import { badInput } from '../domain/errors';
import { isSessionId } from '../domain/ids';
import { sessionKey } from './items/session';
import { IndexSpec, Item } from './schema';

/**
 * A listing cursor: base64url of `<lastActivityAt ISO>#<sessionId>`, unique and ordered alike
 * in every index, so it also bounds a merge. Only ever a key inside the caller's partition.
 */
const POSITION = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#(ses_[0-9A-Z]{26})$/;
const MAX_CURSOR_LENGTH = 100;

export const encodeCursor = (position: string) => Buffer.from(position).toString('base64url');

/** Whether `v` is a session's position in an activity index (`activitySk`): what a listing cursor names. */
export const isActivityPosition = (v: unknown): v is string => typeof v === 'string' && POSITION.test(v);

/** The cursor of a listed item: its sort key in `index`. */
export const cursorOf = (item: Item, index: IndexSpec) => encodeCursor(String(item[index.sk]));

/** The position a cursor names; BAD_USER_INPUT ('Invalid cursor', argument `after`) for anything else. */
export function decodeCursor(cursor: string): { position: string; sessionId: string } {
  const position = cursor.length <= MAX_CURSOR_LENGTH ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = POSITION.exec(position);
  if (!match || !isSessionId(match[1])) throw badInput('Invalid cursor', { argumentName: 'after' });
  return { position, sessionId: match[1] };
}

/** null when the cursor is at or past `below`: DynamoDB refuses such a start key, and that must not be a 500. */
export function startKeyOf(cursor: string, tenantId: string, index: IndexSpec, partition: string): Item;
export function startKeyOf(cursor: string, tenantId: string, index: IndexSpec, partition: string, below: string): Item | null;
export function startKeyOf(cursor: string, tenantId: string, index: IndexSpec, partition: string, below?: string): Item | null {
  const { position, sessionId } = decodeCursor(cursor);
  if (below !== undefined && position >= below) return null;
  return { ...sessionKey(tenantId, sessionId), [index.pk]: partition, [index.sk]: position };
}
