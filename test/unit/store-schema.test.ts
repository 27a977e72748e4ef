/**
 * The store's names, expressions and cursors (src/store/schema.ts, cursor.ts): pure, no I/O.
 */
import { DomainError } from '../../src/domain/errors';
import { cursorOf, decodeCursor, encodeCursor, startKeyOf } from '../../src/store/cursor';
import { sessionFilter, sessionKey } from '../../src/store/items/session';
import { activitySk } from '../../src/store/items/session-indexes';
import { and, expr, INDEXES, isUnexpired, ITEM_ABSENT, or, params, set, assignTtl, unexpired, expired } from '../../src/store/schema';

const ID = 'ses_01KDWCJ2M00000000000000001';
const AT = Date.UTC(2026, 2, 3, 10, 0, 0, 250);

describe('cursors: one codec for every listing', () => {
  test('a cursor is the base64url of an index position and decodes back to it', () => {
    const position = activitySk(AT, ID);
    expect(position).toBe(`2026-03-03T10:00:00.250Z#${ID}`);
    const cursor = encodeCursor(position);
    expect(cursor).toBe(Buffer.from(position).toString('base64url'));
    expect(decodeCursor(cursor)).toEqual({ position, sessionId: ID });
    expect(cursorOf({ gsi4sk: position }, INDEXES.byTenantTopic)).toBe(cursor);
  });

  test('a cursor becomes a start key only inside the given partition of the caller tenant', () => {
    const cursor = encodeCursor(activitySk(AT, ID));
    expect(startKeyOf(cursor, 'acme#1', INDEXES.byUser, 'T#acme%231#U#bob')).toEqual({
      ...sessionKey('acme#1', ID),
      gsi1pk: 'T#acme%231#U#bob',
      gsi1sk: activitySk(AT, ID),
    });
    expect(startKeyOf(cursor, 't', INDEXES.byTenantIdle, 'T#t#LIVE')).toMatchObject({ gsi2pk: 'T#t#LIVE', gsi2sk: activitySk(AT, ID) });
  });

  test.each([
    ['garbage', '!!'],
    ['not a position', Buffer.from('hello').toString('base64url')],
    ['another index key', Buffer.from(`T#x#SESSION#${ID}`).toString('base64url')],
    ['a malformed session id', Buffer.from('2026-03-03T10:00:00.250Z#ses_nope').toString('base64url')],
    ['a foreign key smuggled after the id', Buffer.from(`2026-03-03T10:00:00.250Z#${ID}#x`).toString('base64url')],
    ['too long', 'A'.repeat(101)],
  ])('%s is BAD_USER_INPUT "Invalid cursor" on argument "after"', (_what, cursor) => {
    let err: unknown;
    try {
      decodeCursor(cursor);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'BAD_USER_INPUT', message: 'Invalid cursor', details: { argumentName: 'after' } });
  });
});

describe('expressions', () => {
  test('"not expired" spells the ttl attribute through a name placeholder, in epoch seconds', () => {
    expect(unexpired(AT)).toEqual({ text: '#ttl > :now', names: { '#ttl': 'ttl' }, values: { ':now': Math.floor(AT / 1000) } });
    expect(expired(AT).text).toBe('#ttl <= :now');
    expect(isUnexpired({ ttl: Math.floor(AT / 1000) + 1 }, AT)).toBe(true);
    expect(isUnexpired({ ttl: Math.floor(AT / 1000) }, AT)).toBe(false);
    expect(isUnexpired({}, AT)).toBe(false);
    expect(isUnexpired(undefined, AT)).toBe(false);
  });

  test('and/or join texts (bracketing compound parts) and merge names and values', () => {
    const e = and(expr('version = :v', { ':v': 2 }), or(ITEM_ABSENT, expired(AT)));
    expect(e).toEqual({
      text: 'version = :v AND (attribute_not_exists(pk) OR #ttl <= :now)',
      names: { '#ttl': 'ttl' },
      values: { ':v': 2, ':now': Math.floor(AT / 1000) },
    });
    expect(set(expr('a = :a', { ':a': 1 }), assignTtl(9)).text).toBe('SET a = :a, #ttl = :ttl');
  });

  test('params puts each expression under its parameter and leaves empty maps out', () => {
    expect(params({ ConditionExpression: ITEM_ABSENT })).toEqual({ ConditionExpression: 'attribute_not_exists(pk)' });
    expect(params({ KeyConditionExpression: expr('gsi1pk = :u', { ':u': 'x' }), FilterExpression: sessionFilter(AT, ['ACTIVE', 'PAUSED']) })).toEqual({
      KeyConditionExpression: 'gsi1pk = :u',
      FilterExpression: '#ttl > :now AND #status IN (:s0, :s1)',
      ExpressionAttributeNames: { '#ttl': 'ttl', '#status': 'status' },
      ExpressionAttributeValues: { ':u': 'x', ':now': Math.floor(AT / 1000), ':s0': 'ACTIVE', ':s1': 'PAUSED' },
    });
  });

  test('one placeholder with two different values is a programming error, not a silent overwrite', () => {
    expect(() => and(expr('a = :x', { ':x': 1 }), expr('b = :x', { ':x': 2 }))).toThrow(/:x used twice/);
    expect(and(expr('a = :x', { ':x': 1 }), expr('b = :x', { ':x': 1 })).values).toEqual({ ':x': 1 });
  });
});
