import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildSchema as buildSdl,
  GraphQLArgument,
  GraphQLEnumType,
  GraphQLField,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
} from 'graphql';
import { buildSchema, printSdl } from '../../src/schema';

const committedFile = join(__dirname, '..', '..', 'schema.graphql');

test('the committed schema.graphql matches the schema built from the code (run `npm run schema` when this fails)', () => {
  const committed = readFileSync(committedFile, 'utf8');
  const printed = printSdl();
  if (committed !== printed) {
    throw new Error(
      'schema.graphql is out of date with the resolvers in src/graphql: run `npm run schema` and commit the result ' +
        '(then `npm run codegen` for the typed documents).',
    );
  }
  expect(committed).toBe(printed);
});

/** The spec's "GraphQL contract" section, type by type (field -> type as printed). */
const CONTRACT_FIELDS: Record<string, Record<string, string>> = {
  Query: {
    sessionCheck: 'SessionCheck!',
    session: 'CoachingSession',
    mySessions: 'CoachingSessionConnection!',
    topics: '[Topic!]!',
  },
  Mutation: {
    startSession: 'CoachingSession!',
    sendMessage: 'SendMessagePayload!',
    pauseSession: 'CoachingSession!',
    resumeSession: 'CoachingSession!',
    completeSession: 'CoachingSession!',
    cancelSession: 'CoachingSession!',
  },
  SessionCheck: {
    hasSession: 'Boolean!',
    sessionId: 'ID',
    status: 'SessionStatus',
    isIdle: 'Boolean!',
    conflict: 'Boolean!',
    conflictUserId: 'ID',
  },
  CoachingSession: {
    id: 'ID!',
    topicId: 'ID!',
    topic: 'Topic!',
    userId: 'ID!',
    status: 'SessionStatus!',
    createdAt: 'DateTime!',
    updatedAt: 'DateTime!',
    lastActivityAt: 'DateTime!',
    endedAt: 'DateTime',
    expiresAt: 'DateTime!',
    isIdle: 'Boolean!',
    idleSince: 'DateTime',
    messageCount: 'Int!',
    messages: 'MessageConnection!',
  },
  SendMessagePayload: { session: 'CoachingSession!', message: 'Message!', reply: 'Message!' },
  Message: { id: 'ID!', role: 'MessageRole!', content: 'String!', createdAt: 'DateTime!' },
  Topic: { id: 'ID!', name: 'String!', description: 'String', settings: 'TopicSessionSettings!', myStatus: 'TopicStatus!' },
  TopicSessionSettings: { inactivityTimeoutMinutes: 'Int!', activeTtlSeconds: 'Int!', terminalTtlSeconds: 'Int!' },
};

/** Arguments (name -> type) and defaults, per Type.field. */
const CONTRACT_ARGS: Record<string, Record<string, string>> = {
  'Query.sessionCheck': { topicId: 'ID!' },
  'Query.session': { id: 'ID!' },
  'Query.mySessions': { status: '[SessionStatus!]', first: 'Int', after: 'String' },
  'Query.topics': {},
  'Mutation.startSession': { topicId: 'ID!', restart: 'Boolean' },
  'Mutation.sendMessage': { sessionId: 'ID!', content: 'String!', clientMessageId: 'ID' },
  'Mutation.pauseSession': { sessionId: 'ID!' },
  'Mutation.resumeSession': { sessionId: 'ID!' },
  'Mutation.completeSession': { sessionId: 'ID!' },
  'Mutation.cancelSession': { sessionId: 'ID!' },
  'CoachingSession.messages': { first: 'Int', after: 'String', last: 'Int', before: 'String' },
};

const CONTRACT_ENUMS: Record<string, string[]> = {
  SessionStatus: ['ACTIVE', 'PAUSED', 'COMPLETED', 'CANCELLED', 'ABANDONED'],
  MessageRole: ['USER', 'ASSISTANT'],
  TopicStatus: ['NOT_STARTED', 'IN_PROGRESS', 'PAUSED', 'COMPLETED'],
};

const schemas: [string, () => GraphQLSchema][] = [
  ['the schema built from the code', () => buildSchema()],
  ['the committed schema.graphql', () => buildSdl(readFileSync(committedFile, 'utf8'))],
];

describe.each(schemas)("the spec's GraphQL contract in %s", (_name, load) => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = load();
  });

  const objectType = (name: string): GraphQLObjectType => {
    const type = schema.getType(name);
    if (!(type instanceof GraphQLObjectType)) throw new Error(`type ${name} is missing or not an object type`);
    return type;
  };
  const field = (path: string): GraphQLField<unknown, unknown> => {
    const [typeName, fieldName] = path.split('.');
    const f = objectType(typeName).getFields()[fieldName];
    if (!f) throw new Error(`field ${path} is missing`);
    return f;
  };

  test.each(Object.entries(CONTRACT_FIELDS))('type %s has the contract fields with their types', (typeName, fields) => {
    const actual = objectType(typeName).getFields();
    const shown = Object.fromEntries(Object.keys(fields).map((f) => [f, actual[f] ? String(actual[f].type) : '<missing>']));
    expect(shown).toEqual(fields);
  });

  test.each(Object.entries(CONTRACT_ARGS))('%s has the contract arguments', (path, args) => {
    const actual = Object.fromEntries(field(path).args.map((a: GraphQLArgument) => [a.name, String(a.type)]));
    // Exactly these arguments: an extra required one would break every generated client.
    for (const [name, type] of Object.entries(actual)) {
      if (!(name in args)) expect(type.endsWith('!')).toBe(false);
    }
    expect(Object.fromEntries(Object.keys(args).map((a) => [a, actual[a] ?? '<missing>']))).toEqual(args);
  });

  test('startSession(restart) defaults to false', () => {
    const restart = field('Mutation.startSession').args.find((a) => a.name === 'restart');
    expect(restart?.defaultValue).toBe(false);
  });

  test.each(Object.entries(CONTRACT_ENUMS))('enum %s has exactly the contract values', (name, values) => {
    const type = schema.getType(name);
    expect(type).toBeInstanceOf(GraphQLEnumType);
    expect((type as GraphQLEnumType).getValues().map((v) => v.name).sort()).toEqual([...values].sort());
  });

  test('DateTime is a custom scalar', () => {
    const type = schema.getType('DateTime');
    expect(type).toBeInstanceOf(GraphQLScalarType);
  });

  test('connections have the Relay shape', () => {
    for (const [connection, node] of [
      ['CoachingSessionConnection', 'CoachingSession!'],
      ['MessageConnection', 'Message!'],
    ]) {
      const fields = objectType(connection).getFields();
      expect(String(fields.pageInfo?.type)).toBe('PageInfo!');
      const edgeType = objectType(String(fields.edges?.type).replace(/[[\]!]/g, ''));
      const edge = edgeType.getFields();
      expect(String(edge.node?.type)).toBe(node);
      expect(String(edge.cursor?.type)).toBe('String!');
    }
    const pageInfo = objectType('PageInfo').getFields();
    expect(Object.keys(pageInfo)).toEqual(expect.arrayContaining(['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor']));
  });
});
