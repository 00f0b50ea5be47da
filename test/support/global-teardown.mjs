import fs from 'node:fs/promises';

export default async function globalTeardown() {
  const state = globalThis.__ROUH_TEST_DB__;
  if (!state) return;
  await state.server.stop();
  await fs.rm(state.dir, { recursive: true, force: true });
}
