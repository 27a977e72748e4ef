import { getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { buildSchema } from '../../src/schema';
import { depthLimit } from '../../src/graphql/depth-limit';

const errorsOf = (query: string, max: number) =>
  validate(buildSchema(), parse(query), [...specifiedRules, depthLimit(max)]).map((e) => e.message);

test('the standard introspection query (Sandbox, codegen) passes any depth limit', () => {
  expect(errorsOf(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }), 3)).toEqual([]);
});

test('an operation within the limit passes, one level more is rejected', () => {
  const q = '{ mySessions { edges { node { topic { settings { activeTtlSeconds } } } } } }'; // depth 6
  expect(errorsOf(q, 6)).toEqual([]);
  expect(errorsOf(q, 5)).toEqual(['The query is nested deeper than the limit of 5 levels']);
});

test('depth is counted through named and inline fragments', () => {
  const q = `
    query { mySessions { ...E } }
    fragment E on CoachingSessionConnection { edges { ... on CoachingSessionEdge { node { ...N } } } }
    fragment N on CoachingSession { messages { edges { node { id } } } }`; // mySessions.edges.node.messages.edges.node.id = 7
  expect(errorsOf(q, 7)).toEqual([]);
  expect(errorsOf(q, 6)).toHaveLength(1);
});
