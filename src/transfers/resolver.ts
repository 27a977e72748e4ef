import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { ADMIN_ROLE } from '../graphql/auth';
import { Context } from '../graphql/context';
import { parseTransferCursor, parseUserTransferCursor } from '../graphql/cursors';
import { toGqlSession, toSessionTransferConnection, toUserTransferConnection } from '../graphql/mappers';
import { CoachingSession } from '../graphql/types';
import { SessionTransferConnection } from '../user-data/types';

/** Transfers and consent (docs/administration.md#transfers-and-consent). */
@Authorized()
@Resolver()
export class TransferResolver {
  @Authorized(ADMIN_ROLE)
  @Mutation(() => CoachingSession, { description: 'Admin: move a live session (and its hold on the topic) to another user of your tenant' })
  async transferSession(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('toUserId', () => ID) toUserId: string,
    @Ctx() ctx: Context,
  ): Promise<CoachingSession> {
    return toGqlSession(await ctx.services.transfers.transfer(ctx.viewer!, sessionId, toUserId));
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
    return toGqlSession(await ctx.services.transfers.setAllowTransferWithContent(ctx.viewer!, sessionId, allow));
  }

  @Query(() => SessionTransferConnection, { description: 'Transfers of your sessions, from or to you (with the admin who made each), newest first' })
  async myTransfers(
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<SessionTransferConnection> {
    const page = await ctx.services.transfers.myTransfers(ctx.viewer!, first ?? null, parseUserTransferCursor(after));
    return toUserTransferConnection(page, after);
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => SessionTransferConnection, { description: "Admin: a session's transfer history (from, to, by, at), oldest first" })
  async sessionTransfers(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<SessionTransferConnection> {
    const page = await ctx.services.transfers.sessionTransfers(ctx.viewer!, sessionId, first ?? null, parseTransferCursor(after));
    return toSessionTransferConnection(page, after);
  }
}
