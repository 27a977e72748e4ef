import type { HttpCall } from './load';

/**
 * One benchmarked operation: its HTTP request(s) for the servers, and the same DynamoDB
 * calls for the DynamoDB floor. Scenario groups live in bench/scenarios/, one module each.
 */
export interface Scenario {
  name: string;
  title: string;
  http: { perConnection?: (conn: number) => HttpCall; perRequest?: () => HttpCall };
  floor: (worker: number) => Promise<unknown>;
  /** Also measured against the framework floor (bench/framework answers this document). */
  framework?: boolean;
}
