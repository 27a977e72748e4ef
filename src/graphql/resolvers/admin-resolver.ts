import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { SessionStatus as DomainSessionStatus } from '../../domain/session';
import { ErasureResult } from '../admin-types';
import { ADMIN_ROLE } from '../auth';
import { Context } from '../context';
import { parseUserTransferCursor } from '../cursors';
import { toGqlSession, toSessionConnection, toUserTransferConnection } from '../mappers';
import { SessionTransferConnection } from '../user-data-types';
import { CoachingSession, CoachingSessionConnection, SessionStatus } from '../types';

/**
 * Tenant administration and erasure (docs/administration.md). Thin: one service call each. Every
 * operation but a user's own (eraseMyData, setAllowTransferWithContent, myTransfers) needs the
 * `admin` role (FORBIDDEN otherwise); the service scopes everything to the caller's tenant.
 */
@Authorized()
@Resolver()
export class AdminResolver {
  @Authorized(ADMIN_ROLE)
  @Mutation(() => CoachingSession, { description: 'Admin: move a live session (and its hold on the topic) to another user of your tenant' })
  async transferSession(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('toUserId', () => ID) toUserId: string,
    @Ctx() ctx: Context,
  ): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.admin.transfer(ctx.viewer!, sessionId, toUserId));
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => CoachingSessionConnection, { description: "Admin: your tenant's live sessions idle for at least minIdleMinutes, oldest activity first" })
  async idleSessions(
    @Arg('minIdleMinutes', () => Int) minIdleMinutes: number,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<CoachingSessionConnection> {
    return toSessionConnection(await ctx.services.admin.idleSessions(ctx.viewer!, minIdleMinutes, first ?? null, after ?? null), after);
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => CoachingSessionConnection, {
    description: "Admin: your tenant's sessions of a topic (all topics when omitted), most recent activity first",
  })
  async tenantSessions(
    @Arg('topicId', () => ID, { nullable: true }) topicId: string | null,
    @Arg('status', () => [SessionStatus], { nullable: true }) status: DomainSessionStatus[] | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<CoachingSessionConnection> {
    const page = await ctx.services.admin.tenantSessions(ctx.viewer!, topicId ?? null, status ?? null, first ?? null, after ?? null);
    return toSessionConnection(page, after);
  }

  @Mutation(() => CoachingSession, {
    description:
      "Your consent (or its withdrawal) that what you wrote in this live session of yours, and the coach's messages to you, move with a later transfer; without it a transfer hands over the session without them",
  })
  async setAllowTransferWithContent(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('allow', () => Boolean) allow: boolean,
    @Ctx() ctx: Context,
  ): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.admin.setAllowTransferWithContent(ctx.viewer!, sessionId, allow));
  }

  @Query(() => SessionTransferConnection, { description: 'Transfers of your sessions, from or to you (with the admin who made each), newest first' })
  async myTransfers(
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<SessionTransferConnection> {
    const page = await ctx.services.admin.myTransfers(ctx.viewer!, first ?? null, parseUserTransferCursor(after));
    return toUserTransferConnection(page, after);
  }

  @Mutation(() => ErasureResult, { description: 'Delete all your sessions and everything they own, now' })
  eraseMyData(@Ctx() ctx: Context): Promise<ErasureResult> {
    return ctx.services.admin.eraseMyData(ctx.viewer!);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ErasureResult, { description: "Admin: delete all sessions of a user of your tenant and everything they own" })
  eraseUserData(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<ErasureResult> {
    return ctx.services.admin.eraseUserData(ctx.viewer!, userId);
  }
}
