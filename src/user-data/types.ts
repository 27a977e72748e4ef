import { Field, ID } from 'type-graphql';
import { ObjectType } from '../graphql/object-type';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ConnectionType, EdgeType } from '../graphql/relay';

@ObjectType({ description: "The caller's outcome of a topic: what their latest completion of it produced. It outlives the session" })
export class TopicResult {
  @Field(() => ID) topicId!: string;
  @Field(() => ID, { description: 'The completed session (it may have expired since)' }) sessionId!: string;
  @Field() completedAt!: Date;
  @Field(() => GraphQLJSONObject, { nullable: true, description: "What completeSession extracted, valid against the topic's result schema" })
  result!: Record<string, unknown> | null;
  @Field(() => String, { nullable: true, description: 'Why there is no result (extraction failed, or it was removed by an erasure)' })
  resultError!: string | null;
}

@ObjectType()
export class TopicResultEdge extends EdgeType(TopicResult) {}

@ObjectType()
export class TopicResultConnection extends ConnectionType(TopicResultEdge) {}

@ObjectType({ description: "One hop of a session's transfer history: append-only, kept until the session's TTL" })
export class SessionTransfer {
  @Field(() => ID) sessionId!: string;
  @Field(() => ID) topicId!: string;
  @Field() at!: Date;
  @Field(() => ID, { description: 'The owner before this transfer ("erased:..." once their data was erased)' }) fromUserId!: string;
  @Field(() => ID, { description: 'The owner after it' }) toUserId!: string;
  @Field(() => ID, { description: 'The admin who made it' }) byUserId!: string;
  @Field({ description: 'The previous owner had allowed their part of the conversation to move with it (setAllowTransferWithContent)' })
  withContent!: boolean;
}

@ObjectType()
export class SessionTransferEdge extends EdgeType(SessionTransfer) {}

@ObjectType()
export class SessionTransferConnection extends ConnectionType(SessionTransferEdge) {}

@ObjectType({
  description:
    'One page of exportMyData. The whole export is one JSON document: { tenantId, userId, exportedAt, records: [every page\'s records, in order] }',
})
export class DataExportPage {
  @Field(() => ID) tenantId!: string;
  @Field(() => ID) userId!: string;
  @Field() exportedAt!: Date;
  @Field(() => [GraphQLJSONObject], {
    description: 'Records in order, each with a "type": outcome, session, message, transfer or erasure (docs/administration.md, "Right of access")',
  })
  records!: Record<string, unknown>[];
  @Field({ description: 'More records follow: ask again with after: endCursor' }) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Pass as "after" for the next page; null on the last page' }) endCursor!: string | null;
}
