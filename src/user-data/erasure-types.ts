import { Field, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type';

@ObjectType({ description: 'What eraseMyData / eraseUserData deleted' })
export class ErasureResult {
  @Field(() => Int, { description: 'Sessions deleted (live, ended, and expired ones not yet removed by TTL)' })
  sessionsDeleted!: number;
  @Field(() => Int, { description: 'Items deleted in all: sessions, their messages and records, topic holds, outcomes' })
  itemsDeleted!: number;
  @Field(() => Int, {
    description: "Items of other users' sessions rewritten to remove the user: their messages and the coach's answers, results, transfer entries",
  })
  itemsRedacted!: number;
}
