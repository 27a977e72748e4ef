import type { WebhookTarget } from '../config-webhook';
import type { Logger } from '../logger';
import { deliver } from '../notify/webhook';
import type { BudgetEvents } from './budgets';

/** The share of its monthly cap past which a tenant's webhook gets the notice. */
export const NEAR_CAP = 0.8;

/**
 * The 80% notice as a signed webhook event (the idle notices' signing: docs/administration.md).
 * The month's marker is written before it is sent, so it is sent at most once per tenant and
 * month; a delivery that fails after its retries is logged, not sent again.
 */
export function nearCapWebhook(target: WebhookTarget, log: Logger): NonNullable<BudgetEvents['nearCap']> {
  return (e) => {
    const eventId = `usage-80:${e.tenantId}:${e.month}`;
    const payload = { type: 'tenant.usage.near_cap', tenantId: e.tenantId, month: e.month, usedTokens: e.usedTokens, budgetTokens: e.budgetTokens, threshold: NEAR_CAP };
    void deliver({ url: target.webhookUrl, secret: target.webhookSecret, timeoutMs: 5000, maxAttempts: 3 }, eventId, payload).then(
      (status) => log.info('usage notice sent', { tenantId: e.tenantId, month: e.month, status }),
      (error) => log.warn('usage notice could not be delivered', { tenantId: e.tenantId, month: e.month, error: String(error) }),
    );
  };
}
