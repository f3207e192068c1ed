// Certificates for the outbound TLS tests, made with the openssl CLI in a temporary folder.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A self-signed certificate no configuration trusts. */
  strangerCert: string;
  strangerKey: string;
  cleanup(): void;
}

/** A CA, a server certificate for mcp.test and 127.0.0.1, and a client certificate, made with openssl. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'tc-certs-'));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const key = (name: string) => ['-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`)];
  /** A self-signed certificate, valid for two days. */
  const selfSigned = (name: string, subject: string, ...extra: string[]) =>
    ssl('req', '-x509', ...key(name), '-out', f(`${name}.crt`), '-days', '2', '-subj', subject, ...extra);
  /** A key and a certificate signed by the CA, with the extensions `ext` names. */
  const signed = (name: string, subject: string, ext: string) => {
    writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ssl('req', ...key(name), '-out', f(`${name}.csr`), '-subj', subject);
    ssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.crt`),
      '-days',
      '2',
      '-extfile',
      f(`${name}.ext`),
    );
  };
  selfSigned('ca', '/CN=tunnel test CA');
  signed('server', '/CN=mcp.test', 'subjectAltName=DNS:mcp.test,DNS:localhost,IP:127.0.0.1');
  signed('client', '/CN=tunnel-client', 'extendedKeyUsage=clientAuth');
  selfSigned('stranger', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
  return {
    dir,
    caCert: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    strangerCert: f('stranger.crt'),
    strangerKey: f('stranger.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const read = (path: string) => readFileSync(path);
