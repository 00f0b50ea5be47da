/** Starting FerretDB on port 0: the port comes from its own log line, so no other process can take it first. */
import { spawn } from 'node:child_process';
import { listeningPort } from '../../src/db/ferretdb.js';

const child = (script: string) => spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });

test('the port is read from the "Listening on TCP" line, even split across writes', async () => {
  const c = child(`process.stderr.write('time=x level=INFO msg="Starting FerretDB"\\ntime=x level=INFO msg="Listening on TCP 127.0.0.1:4');
    setTimeout(() => process.stderr.write('3117..." name=listener\\n'), 50); setTimeout(() => {}, 2000);`);
  try {
    expect(await listeningPort(c, 5000)).toBe(43117);
  } finally {
    c.kill();
  }
});

test('a FerretDB that exits before listening is an error naming its last words', async () => {
  const c = child(`process.stderr.write('level=ERROR msg="address already in use"\\n'); process.exit(1)`);
  await expect(listeningPort(c, 5000)).rejects.toThrow(/exited with code 1 before listening: .*address already in use/);
});

test('one that never says it listens times out', async () => {
  const c = child('setTimeout(() => {}, 5000)');
  try {
    await expect(listeningPort(c, 300)).rejects.toThrow(/did not listen within 300 ms/);
  } finally {
    c.kill();
  }
});
