import { EmbeddedCoach } from '../../src/coach/embedded-coach';
import { viewerFrom } from '../../src/auth/verifier';
import { DomainError } from '../../src/domain/errors';
import { parseResultSchema, RESERVED_NAMES, validateResult } from '../../src/domain/result-schema';
import { Session } from '../../src/domain/session';
import { isCleanText } from '../../src/domain/text';
import { Topic } from '../../src/domain/topic';
import { parseTopics } from '../../src/topics/catalog';
import { FOCUS } from './fixtures';

// Issue #9: no lookup keyed by user or admin input may find Object.prototype's members, and
// topic texts refuse control characters like messages do.
const fail = (problem: string) => new Error(problem);
const PROTO_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('resultSchema property names', () => {
  test.each(PROTO_NAMES)('"%s" is refused with a clear message (it was a 500 or silently dropped)', (name) => {
    // JSON.parse makes "__proto__" an own property, as a GraphQL variable or TOPICS_FILE does.
    const raw = JSON.parse(`{ "type": "object", "properties": { "${name}": { "type": "string" }, "ok": { "type": "string" } } }`);
    expect(() => parseResultSchema(raw, fail)).toThrow(`"resultSchema.properties" has "${name}", a name every JavaScript object has already`);
  });

  test('nested objects too, and every name of Object.prototype', () => {
    expect([...RESERVED_NAMES]).toEqual(expect.arrayContaining(PROTO_NAMES));
    const raw = JSON.parse('{ "type": "object", "properties": { "a": { "type": "object", "properties": { "__proto__": { "type": "string" } } } } }');
    expect(() => parseResultSchema(raw, fail)).toThrow(/resultSchema\.properties\.a\.properties" has "__proto__"/);
  });

  test('other names are kept as given, as own properties', () => {
    const schema = parseResultSchema({ type: 'object', properties: { values: { type: 'string' }, proto: { type: 'string' } } }, fail);
    expect(Object.keys(schema.properties)).toEqual(['values', 'proto']);
  });
});

describe('validating a result never finds inherited members', () => {
  const schema = parseResultSchema({ type: 'object', properties: { values: { type: 'string' } }, additionalProperties: false }, fail);

  test('a result key named like an Object.prototype member is a problem, not a match', () => {
    for (const name of PROTO_NAMES) {
      const value = JSON.parse(`{ "values": "x", "${name}": "y" }`);
      expect(validateResult(schema, value)).toEqual([`${name}: is a reserved name`]);
    }
  });

  test('a required property is only satisfied by an own one', () => {
    const required = parseResultSchema({ type: 'object', properties: { values: { type: 'string' } }, required: ['values'] }, fail);
    expect(validateResult(required, Object.create({ values: 'inherited' }))).toEqual(['values: is required']);
    expect(validateResult(required, { values: 'own' })).toEqual([]);
  });
});

describe('the embedded coach', () => {
  const session: Session = {
    id: 'ses_01KDWCJ2M0149RAFMWBDQD4FPB', tenantId: 't', userId: 'u', topicId: 'constructor', status: 'ACTIVE',
    createdAt: 0, updatedAt: 0, lastActivityAt: 0, endedAt: null, expiresAt: 1, messageCount: 2, version: 2,
  };
  test.each(['constructor', 'tostring', 'valueof', '__proto__'])('a topic with id "%s" gets the generic questions, never "undefined"', async (id) => {
    const topic: Topic = { ...FOCUS, id };
    const reply = await new EmbeddedCoach().reply({
      topic,
      session,
      userMessage: { sessionId: session.id, seq: 2, role: 'USER', content: 'Hello there.', createdAt: 0 },
      recentMessages: async () => [],
    });
    expect(reply).not.toMatch(/undefined/);
    expect(reply).toMatch(/\?$/);
  });
});

test('a token claim named like an Object.prototype member finds nothing inherited', () => {
  const refused = (claims: Record<string, unknown>, tenantClaim: string) => {
    try {
      viewerFrom(claims, { tenantClaim, rolesClaim: 'roles' });
      return 'accepted';
    } catch (e) {
      return (e as DomainError).code;
    }
  };
  // Before: payload.constructor (a function) was read as the roles claim and refused for the wrong reason,
  // and a tenant claim "toString" found Object.prototype.toString.
  expect(refused({ sub: 'alice', tenant_id: 'acme' }, 'toString')).toBe('UNAUTHENTICATED');
  expect(viewerFrom({ sub: 'alice', tenant_id: 'acme' }, { tenantClaim: 'tenant_id', rolesClaim: 'constructor' })).toEqual({
    tenantId: 'acme',
    userId: 'alice',
    roles: [],
  });
});

describe('the text rule (messages, topic names, descriptions, instructions, openings)', () => {
  test('no control characters and no lone surrogates; tab and line breaks only in multi-line text', () => {
    for (const bad of ['a\u0000b', 'a\u001b[31m', 'a\u0007', 'a\u007f', 'a\u0085', 'a\u009b', 'a\ud800', '\udc00']) {
      expect({ bad, single: isCleanText(bad, { multiline: false }), multi: isCleanText(bad, { multiline: true }) }).toEqual({ bad, single: false, multi: false });
    }
    for (const spaced of ['a\tb', 'a\nb', 'a\r\nb']) {
      expect(isCleanText(spaced, { multiline: true })).toBe(true);
      expect(isCleanText(spaced, { multiline: false })).toBe(false);
    }
    expect(isCleanText('Kernwerte – ценности 💡 \u202e', { multiline: false })).toBe(true);
  });

  const problem = (entry: Record<string, unknown>) => {
    try {
      parseTopics([{ id: 'focus', name: 'Focus', ...entry }], fail);
      return 'accepted';
    } catch (e) {
      return (e as Error).message;
    }
  };

  test.each([
    ['name', 'Fo\u0000cus'],
    ['name', 'Focus\nsecond line'],
    ['description', 'red \u001b[31malert'],
    ['instructions', 'Be kind.\u0007'],
    ['openingMessage', 'Hello\u0085'],
    ['openingMessage', 'broken \ud83d'],
  ])('TOPICS_FILE / topic administration: %s %j is refused', (field, value) => {
    expect(problem({ [field]: value })).toMatch(new RegExp(`"${field}" contains control characters`));
  });

  test('multi-line descriptions, instructions and openings keep their tabs and line breaks', () => {
    const text = 'Line one.\n\tLine two.\r\nLine three.';
    expect(problem({ description: text, instructions: text, openingMessage: text })).toBe('accepted');
  });

  test('a resultSchema description with a control character is refused', () => {
    expect(() => parseResultSchema({ type: 'object', properties: {}, description: 'a\u001bb' }, fail)).toThrow(/without control characters/);
  });
});
