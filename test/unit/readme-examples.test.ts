import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  astFromValue,
  buildSchema,
  DefinitionNode,
  DocumentNode,
  FieldDefinitionNode,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputField,
  GraphQLSchema,
  InputValueDefinitionNode,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  print,
  validate,
} from 'graphql';
import { markdownFiles, parseMarkdown, readDoc, ROOT } from './markdown';

// Every ```graphql block of the README and docs/ must agree with the committed schema, so
// the examples people paste into Sandbox and the schema excerpts people read do not rot:
// - operations (queries, mutations, fragments) must validate against schema.graphql;
// - schema excerpts (type definitions, `extend type`) must name only types, fields,
//   arguments and enum values that exist there, with the same types and defaults.
// A block that mixes both, or does not parse, fails. Other fences that look like GraphQL
// (```gql, ```graphql-schema, ...) are refused, so nothing escapes these checks.
const schema = buildSchema(readFileSync(join(ROOT, 'schema.graphql'), 'utf8'));

interface Block {
  name: string;
  body: string;
}

const allFences = markdownFiles().flatMap((file) => parseMarkdown(readDoc(file)).fences.map((f) => ({ ...f, file })));
const blocks: Block[] = allFences.filter((f) => f.lang === 'graphql').map((f) => ({ name: `${f.file}:${f.line}`, body: f.body }));

const isExecutable = (d: DefinitionNode) => d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION;

/** What a schema excerpt says that schema.graphql does not. */
function excerptProblems(doc: DocumentNode, against: GraphQLSchema): string[] {
  const out: string[] = [];
  for (const def of doc.definitions) {
    switch (def.kind) {
      case Kind.OBJECT_TYPE_DEFINITION:
      case Kind.OBJECT_TYPE_EXTENSION:
      case Kind.INTERFACE_TYPE_DEFINITION:
      case Kind.INTERFACE_TYPE_EXTENSION: {
        const type = against.getType(def.name.value);
        if (!isObjectType(type) && !isInterfaceType(type)) out.push(`type ${def.name.value} is not an object type of the schema`);
        else out.push(...(def.fields ?? []).flatMap((f) => fieldProblems(`${def.name.value}.${f.name.value}`, f, type.getFields()[f.name.value])));
        break;
      }
      case Kind.INPUT_OBJECT_TYPE_DEFINITION:
      case Kind.INPUT_OBJECT_TYPE_EXTENSION: {
        const type = against.getType(def.name.value);
        if (!isInputObjectType(type)) out.push(`input ${def.name.value} is not an input type of the schema`);
        else out.push(...(def.fields ?? []).flatMap((f) => inputValueProblems(`${def.name.value}.${f.name.value}`, f, type.getFields()[f.name.value])));
        break;
      }
      case Kind.ENUM_TYPE_DEFINITION:
      case Kind.ENUM_TYPE_EXTENSION: {
        const type = against.getType(def.name.value);
        if (!isEnumType(type)) {
          out.push(`enum ${def.name.value} is not an enum of the schema`);
          break;
        }
        for (const v of def.values ?? []) if (!type.getValue(v.name.value)) out.push(`${def.name.value}.${v.name.value} is not a value of the enum`);
        break;
      }
      case Kind.SCALAR_TYPE_DEFINITION:
        if (!isScalarType(against.getType(def.name.value))) out.push(`scalar ${def.name.value} is not in the schema`);
        break;
      default:
        out.push(`a ${def.kind} cannot be checked as an excerpt`);
    }
  }
  return out;
}

function fieldProblems(name: string, node: FieldDefinitionNode, real: GraphQLField<unknown, unknown> | undefined): string[] {
  if (!real) return [`${name} is not a field of the schema`];
  const out: string[] = [];
  if (print(node.type) !== String(real.type)) out.push(`${name} is ${print(node.type)} here, ${String(real.type)} in the schema`);
  for (const arg of node.arguments ?? []) {
    out.push(
      ...inputValueProblems(
        `${name}(${arg.name.value})`,
        arg,
        real.args.find((a) => a.name === arg.name.value),
      ),
    );
  }
  return out;
}

function inputValueProblems(name: string, node: InputValueDefinitionNode, real: GraphQLArgument | GraphQLInputField | undefined): string[] {
  if (!real) return [`${name} is not in the schema`];
  const out: string[] = [];
  if (print(node.type) !== String(real.type)) out.push(`${name} is ${print(node.type)} here, ${String(real.type)} in the schema`);
  if (node.defaultValue) {
    const realDefault = real.defaultValue === undefined ? undefined : astFromValue(real.defaultValue, real.type);
    const shown = print(node.defaultValue);
    if (!realDefault || print(realDefault) !== shown) out.push(`${name} defaults to ${shown} here, not in the schema`);
  }
  return out;
}

/** Operations validate; excerpts are checked against the schema; anything else is a problem. */
function blockProblems(body: string): string[] {
  const doc = parse(body);
  if (doc.definitions.every(isExecutable)) return validate(schema, doc).map((e) => e.message);
  if (doc.definitions.some(isExecutable)) return ['mixes operations and schema definitions: split the block'];
  return excerptProblems(doc, schema);
}

test('the README and docs have GraphQL examples, the README the frontend flow', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(10);
  const readme = blocks.filter((b) => b.name.startsWith('README.md:')).map((b) => b.body).join('\n');
  for (const field of ['sessionCheck', 'startSession', 'sendMessage']) expect(readme).toContain(field);
});

test('GraphQL is fenced as ```graphql only, so every block is checked', () => {
  const escaped = allFences.filter((f) => f.lang !== 'graphql' && /graphql|^gql$/.test(f.lang)).map((f) => `${f.file}:${f.line} ${f.lang}`);
  expect(escaped).toEqual([]);
});

test.each(blocks.map((b) => [b.name, b.body] as const))('%s agrees with schema.graphql', (_name, body) => {
  expect(blockProblems(body)).toEqual([]);
});

describe('the excerpt check itself', () => {
  const check = (sdl: string) => excerptProblems(parse(sdl), schema);

  test('accepts a true excerpt', () => {
    expect(check('type Mutation { startSession(topicId: ID!, restart: Boolean = false): CoachingSession! }')).toEqual([]);
    expect(check('extend type CoachingSession { transferredAt: DateTime }\nenum SessionStatus { ACTIVE }')).toEqual([]);
  });

  test('refuses unknown fields, wrong types, wrong defaults, unknown enum values', () => {
    expect(check('type Query { nothing: Int }')).toEqual(['Query.nothing is not a field of the schema']);
    expect(check('type Query { session(id: ID!): CoachingSession! }')).toEqual([
      'Query.session is CoachingSession! here, CoachingSession in the schema',
    ]);
    expect(check('type Mutation { startSession(topicId: ID!, restart: Boolean = true): CoachingSession! }')).toEqual([
      'Mutation.startSession(restart) defaults to true here, not in the schema',
    ]);
    expect(check('enum SessionStatus { EXPIRED }')).toEqual(['SessionStatus.EXPIRED is not a value of the enum']);
    expect(check('type Nope { id: ID! }')).toEqual(['type Nope is not an object type of the schema']);
  });

  test('refuses a block that mixes operations and definitions', () => {
    expect(blockProblems('type Query { topics: [Topic!]! }\nquery Q { topics { id } }')).toEqual([
      'mixes operations and schema definitions: split the block',
    ]);
  });
});
