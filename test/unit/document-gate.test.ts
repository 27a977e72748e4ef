import 'reflect-metadata';
import fc from 'fast-check';
import { buildSchema } from '../../src/schema';
import { DocumentGate, GATE_CACHE, queryHash } from '../../src/graphql/document-gate';
import { MAX_FRAGMENTS, MAX_NAME_LENGTH, MAX_SAME_NAME, shapeError } from '../../src/graphql/document-shape';
import { DEFAULT_SHAPE_LIMITS } from '../../src/defaults';
import { withoutSuggestions } from '../../src/graphql/errors';
import { FieldNode, GraphQLError, OperationDefinitionNode, parse } from 'graphql';

const schema = buildSchema();
const gate = (production = false) => new DocumentGate(schema, { maxTokens: 5000, maxQueryDepth: 10, shape: DEFAULT_SHAPE_LIMITS, production });
const rep = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join(' ');
const shapeOf = (q: string) => shapeError(parse(q), DEFAULT_SHAPE_LIMITS)?.message ?? null;

describe('the shape of a document, measured before validation', () => {
  test('aliases, selections, repeats of one name, fragments, directives and name length each have a ceiling the error names', () => {
    expect(shapeOf(`{ ${rep(30, (i) => `a${i}: __typename`)} }`)).toBeNull();
    expect(shapeOf(`{ ${rep(31, (i) => `a${i}: __typename`)} }`)).toMatch(/more than 30 aliased fields/);
    const topic = 'id name description archived openingMessage settings { inactivityTimeoutMinutes activeTtlSeconds terminalTtlSeconds maxTurns }';
    expect(shapeOf(`{ ${rep(30, (i) => `t${i}: topics { ${topic} }`)} }`)).toMatch(/more than 300 selections/);
    expect(shapeOf(`{ ${rep(MAX_SAME_NAME + 1, () => '__typename')} }`)).toMatch(/"__typename" is selected more than 10 times/);
    // Inline fragments count with their parent: validation compares their fields with it.
    expect(shapeOf(`{ ${rep(MAX_SAME_NAME + 1, () => '... on Query { __typename }')} }`)).toMatch(/more than 10 times/);
    expect(shapeOf(`{ __typename } ${rep(MAX_FRAGMENTS + 1, (i) => `fragment F${i} on Query { __typename }`)}`)).toMatch(/more than 20 fragments/);
    expect(shapeOf(`{ ${'x'.repeat(MAX_NAME_LENGTH + 1)} }`)).toMatch(/longer than 100 characters/);
    expect(shapeOf(`{ ${rep(51, (i) => `a${i}: __typename @skip(if: false)`)} }`)).not.toBeNull();
  });
});

describe('the document gate', () => {
  test('a failure is remembered: the same text is answered from the cache, not validated again', () => {
    const g = gate();
    const bad = '{ nope }';
    const first = g.check(bad);
    expect(first).toMatchObject({ ok: false, errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    expect(g.check(bad)).toBe(first);
    const good = '{ __typename }';
    expect(g.check(good)).toBe(g.check(good));
    expect(g.held.entries).toBe(2);
  });

  test('parse failures and shape refusals carry their codes; the valid document is what Apollo reads by its hash', async () => {
    const g = gate();
    expect(g.check('{ nope')).toMatchObject({ ok: false, errors: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] });
    expect(g.check(`{ ${rep(31, (i) => `a${i}: __typename`)} }`)).toMatchObject({ ok: false, errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    const good = '{ __typename }';
    const gated = g.check(good);
    expect(await g.documentStore.get(`schemahash:${queryHash(good)}`)).toBe(gated.ok ? gated.document : 'not ok');
    expect(await g.documentStore.get(`schemahash:${queryHash('{ nope }')}`)).toBeUndefined();
  });

  test('the cache is bounded by entries and by bytes', () => {
    const g = gate();
    for (let i = 0; i < GATE_CACHE.maxEntries + 50; i++) g.check(`{ a${i}: __typename }`);
    expect(g.held.entries).toBe(GATE_CACHE.maxEntries);
    const big = gate();
    const long = `{ __typename ${'#'.repeat(90_000)}\n}`; // ~4 MB estimated each
    for (let i = 0; i < 100; i++) big.check(`${long}${' '.repeat(i)}`);
    expect(big.held.bytes).toBeLessThanOrEqual(GATE_CACHE.maxBytes);
    expect(big.held.entries).toBeLessThan(100);
  });

  test('a kept document holds no tokens, and an error on one of its fields is still located', () => {
    const gated = gate().check('query Q {\n  sessionCheck(topicId: "t") { hasSession }\n}');
    if (!gated.ok) throw new Error('expected a valid document');
    const field = (gated.document.definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
    expect(field.loc?.startToken).toBeUndefined();
    expect(field.loc?.endToken).toBeUndefined();
    expect(gated.document.loc?.startToken).toBeUndefined();
    expect(JSON.stringify(field.loc)).toBe(JSON.stringify({ start: 12, end: 53 }));
    expect(new GraphQLError('failed', { nodes: [field] }).locations).toEqual([{ line: 2, column: 3 }]);
  });

  test('validation stops after 10 errors, and production makes no suggestions', () => {
    const errors = (g: DocumentGate, q: string) => {
      const r = g.check(q);
      return r.ok ? [] : r.errors;
    };
    const many = `{ ${rep(30, (i) => `a${i}: sessionChek${i}`)} }`;
    expect(errors(gate(), many).length).toBeLessThanOrEqual(11);
    expect(errors(gate(), '{ sessionChek }')[0].message).toMatch(/Did you mean/);
    expect(errors(gate(true), '{ sessionChek }')[0].message).not.toMatch(/Did you mean/);
  });
});

describe('withoutSuggestions: what Apollo\'s regex removes, in linear time', () => {
  const apollo = (m: string) => m.replace(/ ?Did you mean(.+)\?$/, '');

  test('agrees with the regex it replaces', () => {
    const piece = fc.constantFrom(' ', 'Did you mean', ' Did you mean', '?', '\n', '\r', '\u2028', 'x', 'y "z"', '');
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }), (parts) => withoutSuggestions(parts.join('')) === apollo(parts.join(''))), { numRuns: 5000 });
    expect(withoutSuggestions('Cannot query field "a" on type "Query". Did you mean "b"?')).toBe('Cannot query field "a" on type "Query".');
  });

  test('a message echoing a long literal full of " Did you mean" is stripped at once', () => {
    const hostile = `Enum "E" cannot represent value: "${' Did you mean x'.repeat(20_000)}"`;
    expect(withoutSuggestions(hostile)).toBe(hostile); // no final "?": nothing to strip
    expect(withoutSuggestions(`${hostile}?`)).toBe('Enum "E" cannot represent value: "');
    expect(withoutSuggestions(`${hostile}\n?`)).toBe(`${hostile}\n?`); // the regex's slowest case: no match
  }, 2000);
});
