/**
 * TLS against a real server with certificates made for the test by openssl:
 * ioredis and redis-cli connect with `tls`, client certificates are required
 * by default (tls-auth-clients yes, as Redis), optional or not asked for
 * when configured, and the plain port keeps working beside the TLS one.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Redis } from 'ioredis';
import { cleanup, redisCli, startServer, tempDir, type ServerHandle } from '../helpers/server.js';
import { freePort } from '../helpers/redis.js';

let certs: string;

/** A CA, a server certificate for 127.0.0.1 and a client certificate, both signed by the CA; and a stranger's self-signed one. */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=FlashCache test CA',
  );
  for (const name of ['server', 'client']) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name === 'server' ? '127.0.0.1' : 'client'}`,
    );
    const ext = join(dir, `${name}.ext`);
    execFileSync('sh', [
      '-c',
      `printf '%s\\n' '${name === 'server' ? 'subjectAltName=IP:127.0.0.1' : 'extendedKeyUsage=clientAuth'}' > ${ext}`,
    ]);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      ext,
    );
  }
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'stranger.key',
    '-out',
    'stranger.crt',
    '-days',
    '2',
    '-subj',
    '/CN=stranger',
  );
}

before(() => {
  certs = tempDir('flashcache-certs-');
  makeCertificates(certs);
});

after(() => cleanup(certs));

const file = (name: string): string => join(certs, name);

/** Starts a server with TLS on a free port beside the plain one. */
async function tlsServer(extra: string[] = []): Promise<ServerHandle & { tlsPort: number }> {
  const s = await startServer({
    args: [
      '--tls-port',
      String(await freePort()),
      '--tls-cert-file',
      file('server.crt'),
      '--tls-key-file',
      file('server.key'),
      '--tls-ca-cert-file',
      file('ca.crt'),
      ...extra,
    ],
  });
  const ready = await s.waitForLog((l) => typeof l['tlsPort'] === 'number');
  return Object.assign(s, { tlsPort: ready['tlsPort'] as number });
}

/** Whether a TLS handshake with these client options gets a PONG. */
function pingOverTls(port: number, opts: { cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect(
      {
        port,
        host: '127.0.0.1',
        ca: readFileSync(file('ca.crt')),
        cert: opts.cert ? readFileSync(opts.cert) : undefined,
        key: opts.key ? readFileSync(opts.key) : undefined,
      },
      () => s.write('PING\r\n'),
    );
    let data = '';
    s.on('data', (d) => {
      data += d.toString();
      if (data.endsWith('\r\n')) {
        s.destroy();
        resolve(data.trim());
      }
    });
    s.on('error', (err) => resolve(`error: ${err.message}`));
    s.on('close', () => resolve(data === '' ? 'closed' : data.trim()));
  });
}

test('ioredis and redis-cli connect over TLS with a client certificate; the plain port works beside it', async () => {
  const s = await tlsServer();
  try {
    const r = new Redis({
      port: s.tlsPort,
      host: '127.0.0.1',
      tls: {
        ca: readFileSync(file('ca.crt')),
        cert: readFileSync(file('client.crt')),
        key: readFileSync(file('client.key')),
      },
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await r.connect();
    assert.equal(await r.set('over', 'tls'), 'OK');
    assert.equal(await r.get('over'), 'tls');
    r.disconnect();
    const cli = await redisCli(s.tlsPort, [
      '--tls',
      '--cacert',
      file('ca.crt'),
      '--cert',
      file('client.crt'),
      '--key',
      file('client.key'),
      'GET',
      'over',
    ]);
    assert.equal(cli.stdout.trim(), 'tls');
    const plain = await redisCli(s.port, ['GET', 'over']);
    assert.equal(plain.stdout.trim(), 'tls');
  } finally {
    await s.stop();
    cleanup(s.dir);
  }
});

test('tls-auth-clients yes (the default): no certificate, or one from another CA, gets no service', async () => {
  const s = await tlsServer();
  try {
    assert.equal(await pingOverTls(s.tlsPort, { cert: file('client.crt'), key: file('client.key') }), '+PONG');
    assert.notEqual(await pingOverTls(s.tlsPort, {}), '+PONG');
    assert.notEqual(await pingOverTls(s.tlsPort, { cert: file('stranger.crt'), key: file('stranger.key') }), '+PONG');
    // The server is unharmed by the failed handshakes.
    assert.equal(await pingOverTls(s.tlsPort, { cert: file('client.crt'), key: file('client.key') }), '+PONG');
  } finally {
    await s.stop();
    cleanup(s.dir);
  }
});

test('tls-auth-clients optional verifies a certificate when one is given; no lets anyone in', async () => {
  const optional = await tlsServer(['--tls-auth-clients', 'optional']);
  try {
    assert.equal(await pingOverTls(optional.tlsPort, {}), '+PONG');
    assert.equal(await pingOverTls(optional.tlsPort, { cert: file('client.crt'), key: file('client.key') }), '+PONG');
    assert.notEqual(
      await pingOverTls(optional.tlsPort, { cert: file('stranger.crt'), key: file('stranger.key') }),
      '+PONG',
    );
  } finally {
    await optional.stop();
    cleanup(optional.dir);
  }
  const open = await tlsServer(['--tls-auth-clients', 'no']);
  try {
    assert.equal(await pingOverTls(open.tlsPort, {}), '+PONG');
    const cli = await redisCli(open.tlsPort, ['--tls', '--cacert', file('ca.crt'), 'PING']);
    assert.equal(cli.stdout.trim(), 'PONG');
  } finally {
    await open.stop();
    cleanup(open.dir);
  }
});

test('tls-port without a certificate stops start-up with the reason', async () => {
  const s = await startServer({
    args: ['--tls-port', String(await freePort()), '--tls-key-file', file('server.key')],
    expectExit: true,
  });
  assert.equal(s.exitCode, 1);
  assert.match(s.stderr, /^flashcache: tls-port is set but tls-cert-file is not\n$/);
  cleanup(s.dir);
});
