/**
 * infra/cloudformation.yaml against the table the code creates: tableDefinition() (what
 * `npm run db:init` and the embedded store make) and a real table made by ensureTable()
 * in DynamoDB Local. A change to the keys or the index fails here until both agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../src/config';
import { BY_IDLE_INDEX, BY_TENANT_IDLE_INDEX, BY_TENANT_TOPIC_INDEX, BY_USER_INDEX, TTL_ATTRIBUTE } from '../../src/store/schema';
import { ensureTable, tableDefinition } from '../../src/store/table';
import { createTestTable } from '../support/dynamo';
import { parseYamlSubset, Yaml } from './yaml-subset';

const FILE = join(__dirname, '..', '..', 'infra', 'cloudformation.yaml');
const source = readFileSync(FILE, 'utf8');
type Obj = Record<string, Yaml>;
const template = parseYamlSubset(source) as Obj;
const resources = template.Resources as Obj;
const table = resources.SessionsTable as Obj;
const props = table.Properties as Obj;

/** Order-insensitive where DynamoDB is (attribute definitions, index list). */
const byName = <T extends Record<string, unknown>>(list: T[] | undefined, key: keyof T) =>
  [...(list ?? [])].sort((a, b) => String(a[key]).localeCompare(String(b[key])));

test('the template is plain YAML: no short tags, one DynamoDB table', () => {
  expect(source).not.toMatch(/(^|[\s:-])!(Ref|GetAtt|Sub|Join|If|Select|Split|FindInMap|ImportValue|Base64|Cidr|GetAZs|Equals|Not|And|Or)\b/m);
  expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
  const tables = Object.values(resources).filter((r) => (r as Obj).Type === 'AWS::DynamoDB::Table');
  expect(tables).toHaveLength(1);
});

test('keys, attribute definitions, index and billing are exactly tableDefinition()', () => {
  const def = tableDefinition('any');
  // Every property the code sets (but the name) is in the template with the same value.
  const { TableName: _name, ...rest } = def;
  for (const key of Object.keys(rest)) expect(props).toHaveProperty(key);
  expect(props.BillingMode).toBe(def.BillingMode);
  expect(props.BillingMode).toBe('PAY_PER_REQUEST');
  expect(byName(props.AttributeDefinitions as Obj[], 'AttributeName')).toEqual(byName(def.AttributeDefinitions as unknown as Obj[], 'AttributeName'));
  expect(props.KeySchema).toEqual(def.KeySchema);
  expect(byName(props.GlobalSecondaryIndexes as Obj[], 'IndexName')).toEqual(byName(def.GlobalSecondaryIndexes as unknown as Obj[], 'IndexName'));
  expect((props.GlobalSecondaryIndexes as Obj[]).map((i) => i.IndexName)).toEqual([
    BY_USER_INDEX,
    BY_TENANT_IDLE_INDEX,
    BY_IDLE_INDEX,
    BY_TENANT_TOPIC_INDEX,
  ]);
  // CloudFormation refuses attribute definitions that no key uses.
  const keyed = new Set(
    [props.KeySchema, ...(props.GlobalSecondaryIndexes as Obj[]).map((i) => i.KeySchema)].flatMap((ks) => (ks as Obj[]).map((k) => k.AttributeName)),
  );
  expect(new Set((props.AttributeDefinitions as Obj[]).map((a) => a.AttributeName))).toEqual(keyed);
});

test('TTL on ttl, point-in-time recovery, the default table name, and a retained table', () => {
  expect(props.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
  expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  expect(props.TableName).toEqual({ Ref: 'TableName' });
  expect(((template.Parameters as Obj).TableName as Obj).Default).toBe(loadConfig({}).tableName);
  expect(table.DeletionPolicy).toBe('Retain');
});

test('a table made by ensureTable() in DynamoDB Local has the keys, index and TTL the template declares', async () => {
  const made = await createTestTable({ ttl: false });
  try {
    await ensureTable(made.client, made.tableName); // turns TTL on, as db:init does
    const described = (await made.client.send(new DescribeTableCommand({ TableName: made.tableName }))).Table!;
    expect(byName(described.AttributeDefinitions as unknown as Obj[], 'AttributeName')).toEqual(byName(props.AttributeDefinitions as Obj[], 'AttributeName'));
    expect(described.KeySchema).toEqual(props.KeySchema);
    const indexes = (described.GlobalSecondaryIndexes ?? []).map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection }));
    expect(byName(indexes as unknown as Obj[], 'IndexName')).toEqual(byName(props.GlobalSecondaryIndexes as Obj[], 'IndexName'));
    expect(described.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe(props.BillingMode);
    const ttl = await made.client.send(new DescribeTimeToLiveCommand({ TableName: made.tableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe((props.TimeToLiveSpecification as Obj).AttributeName);
  } finally {
    await made.drop();
  }
});

describe('the YAML subset reader', () => {
  test('reads mappings, sequences of mappings, scalars and flow sequences', () => {
    expect(parseYamlSubset('a: 1\nb:\n  - x: "q # not a comment"\n    y: [p, 2]\n  - plain # comment\nc: true\n')).toEqual({
      a: 1,
      b: [{ x: 'q # not a comment', y: ['p', 2] }, 'plain'],
      c: true,
    });
  });
  test('refuses short tags and what it does not know', () => {
    expect(() => parseYamlSubset('a: !Ref B\n')).toThrow(/long form/);
    expect(() => parseYamlSubset('a: { b: 1 }\n')).toThrow(/subset/);
  });
});
