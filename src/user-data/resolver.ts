import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { ADMIN_ROLE } from '../graphql/auth';
import { Context } from '../graphql/context';
import { parseOutcomeCursor } from '../graphql/cursors';
import { ErasureResult } from './erasure-types';
import { toTopicResultConnection } from '../graphql/mappers';
import { DataExportPage, TopicResultConnection } from './types';

/** Outcomes, export and erasure (docs/administration.md). */
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
    const page = await ctx.services.userData.exportMyData(viewer, first ?? null, after ?? null);
    return {
      tenantId: viewer.tenantId,
      userId: viewer.userId,
      exportedAt: new Date(),
      records: page.records,
      hasNextPage: page.cursor !== null,
      endCursor: page.cursor,
    };
  }


  @Authorized()
  @Mutation(() => ErasureResult, { description: 'Delete all your sessions and everything they own, now' })
  eraseMyData(@Ctx() ctx: Context): Promise<ErasureResult> {
    return ctx.services.userData.eraseMyData(ctx.viewer!);
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ErasureResult, { description: "Admin: delete all sessions of a user of your tenant and everything they own" })
  eraseUserData(@Arg('userId', () => ID) userId: string, @Ctx() ctx: Context): Promise<ErasureResult> {
    return ctx.services.userData.eraseUserData(ctx.viewer!, userId);
  }
}
