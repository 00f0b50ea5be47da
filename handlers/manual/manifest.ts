/** The last stop of every chain: an operator places the order by hand (always available). */
import { z } from 'zod';
import type { HandlerManifest } from '../../src/engine/handler-manifest.js';
import type { ManualTaskStore } from '../../src/engine/types.js';
import { createManualHandler } from './handler.js';

export const manualManifest: HandlerManifest<{ manualTasks: ManualTaskStore }> = {
  name: 'manual',
  integrationType: 'manual',
  label: 'an operator',
  configSchema: z.object({}),
  secretsSchema: z.object({}),
  create: (deps) => createManualHandler({ store: deps.manualTasks }),
};
