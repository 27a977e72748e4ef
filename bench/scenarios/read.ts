import type { Floor } from '../floor';
import type { Scenario } from '../scenario';
import { body, DOCS } from '../seed';

/**
 * The read path (issue #13): each read against the DynamoDB floor (the same calls from the
 * SDK) and the framework floor (the bare stack: bench/framework). Every request carries the
 * caller's token and, for the framework floor (which has no auth), the tenant and user as
 * plain headers; each server ignores what it does not use.
 */
export interface ReadSeed {
  /** One tenant per connection, user `u`, with an ACTIVE core_values session. */
  base: string[];
  /** Tenant `long`: one session of 500 messages. */
  longTok: string;
  longId: string;
  /** Tenant `many`: 60 sessions of user `u`. */
  manyTok: string;
  floor: Floor;
}

const as = (tenant: string) => ({ 'x-bench-tenant': tenant, 'x-bench-user': 'u' });

export function readScenarios(s: ReadSeed): Scenario[] {
  return [
    {
      name: 'sessionCheck',
      title: 'sessionCheck (hold: ACTIVE session of the caller)',
      http: { perConnection: (i) => ({ token: s.base[i], headers: as(`b-${i}`), body: body(DOCS.sessionCheck, { topicId: 'core_values' }) }) },
      floor: (w) => s.floor.sessionCheck(`b-${w}`, 'core_values'),
      framework: true,
    },
    {
      name: 'startSession-resume',
      title: 'startSession resuming an ACTIVE session, with messages(last: 20) (the frontend document)',
      http: { perConnection: (i) => ({ token: s.base[i], headers: as(`b-${i}`), body: body(DOCS.startSession, { topicId: 'core_values' }) }) },
      floor: (w) => s.floor.resume(`b-${w}`, 'core_values'),
      framework: true,
    },
    {
      name: 'session-messages-50',
      title: 'session { messages(first: 50) } on a 500-message conversation',
      http: { perConnection: () => ({ token: s.longTok, headers: as('long'), body: body(DOCS.sessionPage, { id: s.longId, first: 50 }) }) },
      floor: () => s.floor.sessionPage('long', s.longId),
      framework: true,
    },
    {
      name: 'mySessions-50',
      title: 'mySessions(first: 50) { topic { name } } (60 sessions)',
      http: { perConnection: () => ({ token: s.manyTok, headers: as('many'), body: body(DOCS.mySessions, { first: 50 }) }) },
      floor: () => s.floor.mySessions('many', 'u'),
      framework: true,
    },
  ];
}
