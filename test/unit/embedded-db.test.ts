/**
 * The embedded database's fallback decision: a mongod already here wins; otherwise mongod is downloaded only
 * when the download server answers quickly; otherwise FerretDB; otherwise a clear error. No internet must
 * mean FerretDB within seconds, not a download that hangs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { chooseEmbedded, mongodDownloadHost, NoDatabaseError, reachable, startEmbeddedDatabase, type EmbeddedProbes } from '../../src/db/embedded.js';
import { freePort } from '../../src/db/ferretdb.js';

const probes = (o: Partial<{ local: string | null; download: boolean; ferret: string | null }>): EmbeddedProbes & { calls: string[] } => {
  const calls: string[] = [];
  return {
    calls,
    localMongod: async () => { calls.push('local'); return o.local ?? null; },
    downloadReachable: async () => { calls.push('download'); return o.download ?? false; },
    ferretdb: async () => { calls.push('ferretdb'); return o.ferret ?? null; },
  };
};

test('a mongod already on the machine is used without probing the network or building anything', async () => {
  const p = probes({ local: '/opt/mongod', download: true, ferret: '/bin/ferretdb' });
  expect(await chooseEmbedded(p)).toEqual({ kind: 'mongod', binary: '/opt/mongod' });
  expect(p.calls).toEqual(['local']);
});

test('reachable download → mongod is downloaded; FerretDB is not built', async () => {
  const p = probes({ download: true, ferret: '/bin/ferretdb' });
  expect(await chooseEmbedded(p)).toEqual({ kind: 'mongod-download' });
  expect(p.calls).toEqual(['local', 'download']);
});

test('unreachable download → FerretDB; neither → none', async () => {
  expect(await chooseEmbedded(probes({ ferret: '/bin/ferretdb' }))).toEqual({ kind: 'ferretdb', binary: '/bin/ferretdb' });
  expect(await chooseEmbedded(probes({}))).toEqual({ kind: 'none' });
});

test('the download probe gives up within its timeout when the server never answers, and at once when nothing listens', async () => {
  const silent = http.createServer(() => undefined); // accepts connections, never answers
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const t0 = Date.now();
  expect(await reachable(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, 300)).toBe(false);
  expect(Date.now() - t0).toBeLessThan(5000);
  silent.closeAllConnections();
  silent.close();
  expect(await reachable(`http://127.0.0.1:${await freePort()}/`, 300)).toBe(false);

  const answering = http.createServer((_req, res) => res.writeHead(403).end()); // any answer means reachable
  await new Promise<void>((r) => answering.listen(0, '127.0.0.1', () => r()));
  expect(await reachable(`http://127.0.0.1:${(answering.address() as AddressInfo).port}/`, 2000)).toBe(true);
  answering.close();
});

test('the download host honours the mongodb-memory-server mirror settings', () => {
  expect(mongodDownloadHost({})).toBe('https://fastdl.mongodb.org');
  expect(mongodDownloadHost({ MONGOMS_DOWNLOAD_MIRROR: 'http://mirror.local' })).toBe('http://mirror.local');
});

test('with nothing available, starting says what to set', async () => {
  await expect(startEmbeddedDatabase('/tmp/unused', pino({ level: 'silent' }), probes({}))).rejects.toThrow(NoDatabaseError);
  await expect(startEmbeddedDatabase('/tmp/unused', pino({ level: 'silent' }), probes({}))).rejects.toThrow(/MONGODB_URI/);
});
