import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { SessionStatus as DomainSessionStatus } from '../../domain/session';
import { notFound } from '../../domain/errors';
import { Context } from '../context';
import { parseMessageCursor } from '../cursors';
import { toGqlMessage, toGqlSession, toGqlSessionCheck, toGqlTopic, toMessageConnection, toSessionConnection } from '../mappers';
import {
  CoachingSession,
  CoachingSessionConnection,
  MessageConnection,
  SendMessagePayload,
  SessionCheck,
  SessionStatus,
  Topic,
} from '../types';
import { MessageReply, MessageReplyStatus, PostMessagePayload } from '../coach-types';

@ArgsType()
class MessagePageArgs {
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => Int, { nullable: true }) last?: number | null;
  @Field(() => String, { nullable: true }) before?: string | null;
}

/** Thin: each operation is one service call; the viewer always comes from the token. */
@Authorized()
@Resolver(() => CoachingSession)
export class SessionResolver {
  @Query(() => SessionCheck, { description: 'Does the caller have a session to resume, or does another user hold the topic? One read, no side effects' })
  async sessionCheck(@Arg('topicId', () => ID) topicId: string, @Ctx() ctx: Context): Promise<SessionCheck> {
    return toGqlSessionCheck(await ctx.services.sessions.check(ctx.viewer!, topicId));
  }

  @Query(() => CoachingSession, { nullable: true, description: 'Null when unknown, expired or not yours' })
  async session(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<CoachingSession | null> {
    const view = await ctx.loaders.session.load(id);
    return view ? toGqlSession(view) : null;
  }

  @Query(() => CoachingSessionConnection, { description: "The caller's sessions, most recent activity first" })
  async mySessions(
    @Arg('status', () => [SessionStatus], { nullable: true }) status: DomainSessionStatus[] | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<CoachingSessionConnection> {
    const page = await ctx.services.sessions.mySessions(ctx.viewer!, status ?? null, first ?? null, after ?? null);
    for (const s of page.sessions) ctx.loaders.session.prime(s.id, s);
    return toSessionConnection(page, after);
  }

  @Mutation(() => CoachingSession, { description: 'Resume your live session for the topic, or start one; restart abandons yours and starts afresh' })
  async startSession(
    @Arg('topicId', () => ID) topicId: string,
    @Arg('restart', () => Boolean, { nullable: true, defaultValue: false }) restart: boolean,
    @Ctx() ctx: Context,
  ): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.sessions.start(ctx.viewer!, topicId, restart ?? false));
  }

  @Mutation(() => SendMessagePayload, { description: 'Send a message and get the coach\'s reply. A repeated clientMessageId returns the first result' })
  async sendMessage(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('content', () => String) content: string,
    @Arg('clientMessageId', () => ID, { nullable: true }) clientMessageId: string | null,
    @Ctx() ctx: Context,
  ): Promise<SendMessagePayload> {
    const r = await ctx.services.sessions.sendMessage(ctx.viewer!, sessionId, content, clientMessageId ?? null);
    return { session: toGqlSession(r.session), message: toGqlMessage(r.message), reply: toGqlMessage(r.reply) };
  }

  @Mutation(() => PostMessagePayload, {
    description: "Store a message and return at once; the coach's reply follows in the background (poll messageReply). A repeated clientMessageId writes nothing new",
  })
  async postMessage(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('content', () => String) content: string,
    @Arg('clientMessageId', () => ID, { nullable: true }) clientMessageId: string | null,
    @Ctx() ctx: Context,
  ): Promise<PostMessagePayload> {
    const r = await ctx.services.sessions.postMessage(ctx.viewer!, sessionId, content, clientMessageId ?? null);
    return { session: toGqlSession(r.session), message: toGqlMessage(r.message), clientMessageId: r.clientMessageId, replyPending: r.replyPending };
  }

  @Query(() => MessageReply, { description: "Where the coach's reply to one of your messages stands (after postMessage): a few reads" })
  async messageReply(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('messageId', () => ID) messageId: string,
    @Ctx() ctx: Context,
  ): Promise<MessageReply> {
    const r = await ctx.services.sessions.messageReply(ctx.viewer!, sessionId, messageId);
    return { status: r.status as MessageReplyStatus, reply: r.reply ? toGqlMessage(r.reply) : null };
  }

  @Mutation(() => CoachingSession)
  async pauseSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.sessions.pause(ctx.viewer!, sessionId));
  }

  @Mutation(() => CoachingSession)
  async resumeSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.sessions.resume(ctx.viewer!, sessionId));
  }

  @Mutation(() => CoachingSession)
  async completeSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.sessions.complete(ctx.viewer!, sessionId));
  }

  @Mutation(() => CoachingSession)
  async cancelSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.sessions.cancel(ctx.viewer!, sessionId));
  }

  @FieldResolver(() => Topic)
  async topic(@Root() session: CoachingSession, @Ctx() ctx: Context): Promise<Topic> {
    const topic = await ctx.loaders.topic.load(session.topicId);
    if (!topic) throw notFound('Topic');
    return toGqlTopic(topic);
  }

  @FieldResolver(() => MessageConnection, { description: 'Relay pages: first/after from the start, last/before from the newest' })
  async messages(@Root() session: CoachingSession, @Args(() => MessagePageArgs) args: MessagePageArgs, @Ctx() ctx: Context): Promise<MessageConnection> {
    const page = await ctx.services.sessions.messages(ctx.viewer!, session.view, {
      first: args.first ?? null,
      after: parseMessageCursor(args.after, 'after'),
      last: args.last ?? null,
      before: parseMessageCursor(args.before, 'before'),
    });
    return toMessageConnection(page);
  }
}
