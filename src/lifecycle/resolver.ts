import { Arg, Authorized, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { Context } from '../graphql/context';
import { toGqlSession } from '../graphql/mappers';
import { CoachingSession } from '../graphql/types';

/** A session's status changes (docs/contract.md#session-lifecycle): one use-case call each; the viewer comes from the token. */
@Resolver()
export class LifecycleResolver {
  @Authorized()
  @Mutation(() => CoachingSession, { description: 'Resume your live session for the topic, or start one; restart abandons yours and starts afresh' })
  async startSession(
    @Arg('topicId', () => ID) topicId: string,
    @Arg('restart', () => Boolean, { nullable: true, defaultValue: false }) restart: boolean,
    @Ctx() ctx: Context,
  ): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.lifecycle.start(ctx.viewer!, topicId, restart ?? false));
  }

  @Authorized()
  @Mutation(() => CoachingSession)
  async pauseSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.lifecycle.pause(ctx.viewer!, sessionId));
  }

  @Authorized()
  @Mutation(() => CoachingSession)
  async resumeSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.lifecycle.resume(ctx.viewer!, sessionId));
  }

  @Authorized()
  @Mutation(() => CoachingSession)
  async completeSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.lifecycle.complete(ctx.viewer!, sessionId));
  }

  @Authorized()
  @Mutation(() => CoachingSession)
  async cancelSession(@Arg('sessionId', () => ID) sessionId: string, @Ctx() ctx: Context): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.lifecycle.cancel(ctx.viewer!, sessionId));
  }
}
