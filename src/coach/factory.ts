import { Coach } from './port';
import { EmbeddedCoach } from './embedded-coach';
import { OpenAICoach } from './openai-coach';
import { BedrockCoach } from './bedrock-coach';
import { TenantSlots, tenantBoundCoach } from './tenant-slots';
import type { CoachConfig } from '../config-coach';

/** The configured coach; a model adapter's calls are bounded per tenant (the embedded coach calls no provider). */
export function createCoach(config: CoachConfig, timeoutMs: number): Coach {
  switch (config.kind) {
    case 'embedded':
      return new EmbeddedCoach();
    case 'openai':
      return tenantBoundCoach(new OpenAICoach({ ...config, timeoutMs }), new TenantSlots(config.slots));
    case 'bedrock':
      return tenantBoundCoach(new BedrockCoach({ ...config, timeoutMs }), new TenantSlots(config.slots));
  }
}
