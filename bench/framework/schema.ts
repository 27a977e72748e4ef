import 'reflect-metadata';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { Arg, Args, ArgsType, buildSchemaSync, Ctx, Field, FieldResolver, ID, Int, Mutation, ObjectType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import { holdKey } from '../../src/store/items/hold';
import { MESSAGE_SK_FIRST, MESSAGE_SK_LAST } from '../../src/store/items/message';
import { sessionKey, sessionPk, userGsiPk } from '../../src/store/items/session';
import { BY_USER_INDEX, nowSeconds } from '../../src/store/schema';

/**
 * The framework floor's schema: the bare stack (type-graphql on graphql-js, as the server
 * uses them) answering the bench's four read documents with the fields they select, from
 * the same DynamoDB calls. Plain objects straight from the items: no auth, no domain
 * rules, no DataLoader, no logging or metrics. The caller's tenant and user come from two
 * plain headers (the bench sends them to every server; ours ignores them).
 */
export interface BareContext {
  db: DynamoDBDocumentClient;
  table: string;
  tenantId: string;
  userId: string;
}

enum SessionStatus {
  ACTIVE = 'ACTIVE',
  PAUSED = 'PAUSED',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
  ABANDONED = 'ABANDONED',
}
registerEnumType(SessionStatus, { name: 'SessionStatus' });
enum MessageRole {
  USER = 'USER',
  ASSISTANT = 'ASSISTANT',
}
registerEnumType(MessageRole, { name: 'MessageRole' });

// An item as the document client returns it: the floor reads its attributes as it stored them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Item = Record<string, any>;
const IDLE_MS = 30 * 60_000;
const b64 = (s: string) => Buffer.from(s).toString('base64url');

@ObjectType()
class PageInfo {
  @Field() hasNextPage!: boolean;
  @Field() hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true }) startCursor!: string | null;
  @Field(() => String, { nullable: true }) endCursor!: string | null;
}

@ObjectType()
class Topic {
  @Field(() => ID) id!: string;
  @Field() name!: string;
}

@ObjectType()
class Message {
  @Field(() => ID) id!: string;
  @Field(() => MessageRole) role!: MessageRole;
  @Field() content!: string;
  @Field() createdAt!: Date;
}

@ObjectType()
class MessageEdge {
  @Field() cursor!: string;
  @Field(() => Message) node!: Message;
}

@ObjectType()
class MessageConnection {
  @Field(() => [MessageEdge]) edges!: MessageEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
class CoachingSession {
  @Field(() => ID) id!: string;
  @Field(() => ID) topicId!: string;
  @Field(() => ID) userId!: string;
  @Field(() => SessionStatus) status!: SessionStatus;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  @Field() lastActivityAt!: Date;
  @Field(() => Date, { nullable: true }) endedAt!: Date | null;
  @Field() expiresAt!: Date;
  @Field() isIdle!: boolean;
  @Field(() => Date, { nullable: true }) idleSince!: Date | null;
  @Field(() => Int) messageCount!: number;
  @Field(() => Int) turnCount!: number;
  @Field(() => Int, { nullable: true }) maxTurns!: number | null;
}

@ObjectType()
class CoachingSessionEdge {
  @Field() cursor!: string;
  @Field(() => CoachingSession) node!: CoachingSession;
}

@ObjectType()
class CoachingSessionConnection {
  @Field(() => [CoachingSessionEdge]) edges!: CoachingSessionEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@ObjectType()
class SessionCheck {
  @Field() hasSession!: boolean;
  @Field(() => ID, { nullable: true }) sessionId!: string | null;
  @Field(() => SessionStatus, { nullable: true }) status!: SessionStatus | null;
  @Field() isIdle!: boolean;
  @Field() conflict!: boolean;
  @Field(() => ID, { nullable: true }) conflictUserId!: string | null;
  @Field(() => Int) turnCount!: number;
  @Field(() => Int, { nullable: true }) maxTurns!: number | null;
}

@ArgsType()
class PageArgs {
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => Int, { nullable: true }) last?: number | null;
  @Field(() => String, { nullable: true }) before?: string | null;
}

function session(i: Item): CoachingSession {
  const last = Date.parse(i.lastActivityAt);
  const idle = Date.now() - last > IDLE_MS;
  return {
    id: i.sessionId,
    topicId: i.topicId,
    userId: i.userId,
    status: i.status,
    createdAt: new Date(i.createdAt),
    updatedAt: new Date(i.updatedAt),
    lastActivityAt: new Date(last),
    endedAt: i.endedAt ? new Date(i.endedAt) : null,
    expiresAt: new Date(i.ttl * 1000),
    isIdle: idle,
    idleSince: idle ? new Date(last) : null,
    messageCount: i.messageCount,
    turnCount: i.turnCount ?? 0,
    maxTurns: null,
  };
}

const message = (i: Item, sessionId: string): Message => ({ id: `${sessionId}:${i.seq}`, role: i.role, content: i.content, createdAt: new Date(i.createdAt) });

@Resolver(() => CoachingSession)
class BareResolver {
  @Query(() => SessionCheck)
  async sessionCheck(@Arg('topicId', () => ID) topicId: string, @Ctx() ctx: BareContext): Promise<SessionCheck> {
    const hold = (await ctx.db.send(new GetCommand({ TableName: ctx.table, Key: holdKey(ctx.tenantId, topicId), ConsistentRead: true }))).Item;
    const mine = hold !== undefined && hold.userId === ctx.userId;
    return {
      hasSession: mine,
      sessionId: mine ? hold.sessionId : null,
      status: mine ? hold.status : null,
      isIdle: mine && Date.now() - Date.parse(hold.lastActivityAt) > IDLE_MS,
      conflict: hold !== undefined && !mine,
      conflictUserId: hold !== undefined && !mine ? hold.userId : null,
      turnCount: mine ? (hold.turnCount ?? 0) : 0,
      maxTurns: null,
    };
  }

  /** The resume case only (the bench's): the caller's session is the topic's hold. */
  @Mutation(() => CoachingSession)
  async startSession(@Arg('topicId', () => ID) topicId: string, @Arg('restart', () => Boolean, { nullable: true }) _restart: boolean, @Ctx() ctx: BareContext) {
    const hold = (await ctx.db.send(new GetCommand({ TableName: ctx.table, Key: holdKey(ctx.tenantId, topicId), ConsistentRead: true }))).Item!;
    // The hold names the session; the session itself has the fields (as the server reads them).
    const item = (await ctx.db.send(new GetCommand({ TableName: ctx.table, Key: sessionKey(ctx.tenantId, hold.sessionId), ConsistentRead: true }))).Item!;
    return session(item);
  }

  @Query(() => CoachingSession, { nullable: true })
  async session(@Arg('id', () => ID) id: string, @Ctx() ctx: BareContext) {
    const item = (await ctx.db.send(new GetCommand({ TableName: ctx.table, Key: sessionKey(ctx.tenantId, id), ConsistentRead: true }))).Item;
    return item ? session(item) : null;
  }

  @Query(() => CoachingSessionConnection)
  async mySessions(@Arg('first', () => Int, { nullable: true }) first: number | null, @Ctx() ctx: BareContext): Promise<CoachingSessionConnection> {
    const limit = first ?? 20;
    const out = await ctx.db.send(
      new QueryCommand({
        TableName: ctx.table,
        IndexName: BY_USER_INDEX,
        KeyConditionExpression: 'gsi1pk = :u',
        FilterExpression: '#ttl > :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':u': userGsiPk(ctx.tenantId, ctx.userId), ':now': nowSeconds(Date.now()) },
        ScanIndexForward: false,
        Limit: limit + 1,
      }),
    );
    const items = (out.Items ?? []).slice(0, limit);
    const edges = items.map((i) => ({ cursor: b64(i.gsi1sk), node: session(i) }));
    return { edges, pageInfo: pageInfo(edges, (out.Items ?? []).length > limit, false) };
  }

  @FieldResolver(() => Topic)
  topic(@Root() s: CoachingSession): Topic {
    return { id: s.topicId, name: `Topic ${s.topicId}` };
  }

  @FieldResolver(() => MessageConnection)
  async messages(@Root() s: CoachingSession, @Args(() => PageArgs) args: PageArgs, @Ctx() ctx: BareContext): Promise<MessageConnection> {
    const forward = args.last == null;
    const limit = (forward ? args.first : args.last) ?? 20;
    const out = await ctx.db.send(
      new QueryCommand({
        TableName: ctx.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':pk': sessionPk(ctx.tenantId, s.id), ':lo': MESSAGE_SK_FIRST, ':hi': MESSAGE_SK_LAST },
        ScanIndexForward: forward,
        Limit: limit + 1,
        ConsistentRead: true,
      }),
    );
    const found = out.Items ?? [];
    const page = found.slice(0, limit);
    if (!forward) page.reverse();
    const edges = page.map((i) => ({ cursor: b64(`msg:${i.seq}`), node: message(i, s.id) }));
    const more = found.length > limit;
    return { edges, pageInfo: pageInfo(edges, forward && more, !forward && more) };
  }
}

function pageInfo(edges: { cursor: string }[], hasNextPage: boolean, hasPreviousPage: boolean): PageInfo {
  return { hasNextPage, hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges[edges.length - 1]?.cursor ?? null };
}

export function buildBareSchema(): GraphQLSchema {
  return buildSchemaSync({ resolvers: [BareResolver], scalarsMap: [{ type: Date, scalar: DateTimeResolver }], validate: false });
}
