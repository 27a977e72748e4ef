import { Clock } from './domain/clock';
import { SessionLimits } from './defaults';
import { Coach } from './coach/port';
import { CoachGateway } from './coach/gateway';
import { Logger } from './logger';
import { AdminListings } from './admin/listings';
import { Conversation } from './conversation/conversation';
import { RateReply } from './conversation/rate-reply';
import { RegenerateReply } from './conversation/regenerate';
import { Lifecycle, LifecycleDeps } from './lifecycle/lifecycle';
import { AdminRepository } from './sessions/admin-repository';
import { BackgroundWork } from './sessions/background';
import { SessionMemory } from './sessions/memory';
import { SessionQueries } from './sessions/queries';
import { SessionRepository } from './sessions/repository';
import { TopicSource } from './topics/catalog';
import { Transfers } from './transfers/transfers';
import { UserData } from './user-data/user-data';
import type { Budgets } from './usage/budgets';

/** The session capabilities' use cases, each given what it uses (app.ts, and the tests that run them without HTTP). */
export interface SessionCapabilities {
  sessions: SessionQueries;
  conversation: Conversation;
  feedback: RateReply;
  regenerate: RegenerateReply;
  lifecycle: Lifecycle;
  transfers: Transfers;
  listings: AdminListings;
  userData: UserData;
  /** What this process still writes after answering (background replies, late welcome backs). */
  background: BackgroundWork;
}

export interface CapabilityDeps {
  repo: SessionRepository & AdminRepository;
  /** A fixed catalogue, or TenantTopics (each tenant's, cached). */
  topics: TopicSource;
  coach: Coach;
  clock: Clock;
  log: Logger;
  limits: SessionLimits;
  events?: LifecycleDeps['events'];
  /** The token caps' check (usage/budgets.ts); absent: no caps are checked. */
  budgets?: Budgets;
}

export function composeCapabilities(d: CapabilityDeps): SessionCapabilities {
  const background = new BackgroundWork(d.log);
  const coach = new CoachGateway(d.coach, d);
  const memory = new SessionMemory({ ...d, coach, background });
  const deps = { ...d, coach, background, memory };
  return {
    sessions: new SessionQueries(deps),
    conversation: new Conversation(deps),
    feedback: new RateReply(deps),
    regenerate: new RegenerateReply(deps),
    lifecycle: new Lifecycle(deps),
    transfers: new Transfers(deps),
    listings: new AdminListings(deps),
    userData: new UserData(deps),
    background,
  };
}
