import { z } from 'zod';

export const EmailIntegrationConfig = z.object({
  /** Defaults to the provider's contact email. */
  to: z.email().optional(),
  confirmTimeoutMinutes: z.number().positive().optional(),
});
export type EmailIntegrationConfig = z.infer<typeof EmailIntegrationConfig>;
