import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { ADMIN_ROLE } from '../auth';
import { Context } from '../context';
import { parseOutcomeCursor, parseTransferCursor } from '../cursors';
import { toSessionTransferConnection, toTopicResultConnection } from '../mappers';
import { DataExportPage, SessionTransferConnection, TopicResultConnection } from '../user-data-types';

/**
 * A user's data beyond one session (docs/administration.md): their outcomes, their right of
 * access (exportMyData), and a session's transfer history for admins. Thin: one service call
 * each; every root field is @Authorized.
 */
@Resolver()
export class UserDataResolver {
  @Authorized()
  @Query(() => TopicResultConnection, { description: 'Your outcomes, one per completed topic (the latest completion), in topic id order' })
  async myResults(
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<TopicResultConnection> {
    const page = await ctx.services.sessions.myResults(ctx.viewer!, first ?? null, parseOutcomeCursor(after));
    return toTopicResultConnection(page, after);
  }

  @Authorized()
  @Query(() => DataExportPage, {
    description: 'Everything stored about you, a page at a time (first: 1-100 records, default 100); follow endCursor until hasNextPage is false',
  })
  async exportMyData(
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<DataExportPage> {
    const viewer = ctx.viewer!;
    const page = await ctx.services.admin.exportMyData(viewer, first ?? null, after ?? null);
    return {
      tenantId: viewer.tenantId,
      userId: viewer.userId,
      exportedAt: new Date(),
      records: page.records,
      hasNextPage: page.cursor !== null,
      endCursor: page.cursor,
    };
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => SessionTransferConnection, { description: "Admin: a session's transfer history (from, to, by, at), oldest first" })
  async sessionTransfers(
    @Arg('sessionId', () => ID) sessionId: string,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<SessionTransferConnection> {
    const page = await ctx.services.admin.sessionTransfers(ctx.viewer!, sessionId, first ?? null, parseTransferCursor(after));
    return toSessionTransferConnection(page, after);
  }
}
