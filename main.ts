/**
 * The process entry and composition root: the service (src/) plus its add-ons (the chat bots in bots/).
 * src/ never imports bots/; this file is where they meet.
 */
import { chatAddOn } from './bots/compose.js';
import { runMain } from './src/main.js';

runMain([chatAddOn()]).catch((err) => {
  process.stderr.write(`rouh-actions failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
