import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { SessionStatus as DomainSessionStatus } from '../domain/session';
import { notFound } from '../domain/errors';
import { Context } from '../graphql/context';
import { parseMessageCursor } from '../graphql/cursors';
import { toGqlSession, toGqlSessionCheck, toGqlTopic, toMessageConnection, toSessionConnection } from '../graphql/mappers';
import { CoachingSession, CoachingSessionConnection, MessageConnection, SessionCheck, SessionStatus, Topic } from '../graphql/types';
import type { SessionView } from './session-view';

@ArgsType()
class MessagePageArgs {
  @Field(() => Int, { nullable: true }) first?: number | null;
  @Field(() => String, { nullable: true }) after?: string | null;
  @Field(() => Int, { nullable: true }) last?: number | null;
  @Field(() => String, { nullable: true }) before?: string | null;
}

/** Field resolvers are reached only through an @Authorized root, so they do not check again (per-field promises). */
@Resolver(() => CoachingSession)
export class SessionResolver {
  @Authorized()
  @Query(() => SessionCheck, { description: 'Does the caller have a session to resume, or does another user hold the topic? One read, no side effects' })
  async sessionCheck(@Arg('topicId', () => ID) topicId: string, @Ctx() ctx: Context): Promise<SessionCheck> {
    return toGqlSessionCheck(await ctx.loaders.sessionCheck.load(topicId));
  }

  @Authorized()
  @Query(() => CoachingSession, { nullable: true, description: 'Null when unknown, expired or not yours' })
  async session(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<CoachingSession | null> {
    const view = await ctx.loaders.session.load(id);
    return view ? toGqlSession(view) : null;
  }

  @Authorized()
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









  /** From the catalogue the session's view was made with: no read, no promise per node. */
  @FieldResolver(() => Topic)
  topic(@Root('view') view: SessionView): Topic {
    if (!view.topic) throw notFound('Topic');
    return toGqlTopic(view.topic);
  }

  @FieldResolver(() => MessageConnection, { description: 'Relay pages: first/after from the start, last/before from the newest' })
  async messages(@Root('view') view: SessionView, @Args(() => MessagePageArgs) args: MessagePageArgs, @Ctx() ctx: Context): Promise<MessageConnection> {
    const page = await ctx.services.sessions.messages(ctx.viewer!, view, {
      first: args.first ?? null,
      after: parseMessageCursor(args.after, 'after'),
      last: args.last ?? null,
      before: parseMessageCursor(args.before, 'before'),
    });
    return toMessageConnection(page);
  }
}
