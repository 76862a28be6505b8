import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A certificate authority made with openssl in `dir` (ca.pem / ca.key), and one certificate per
 * leaf signed by it (<name>.pem / <name>.key), each with its own X.509 extension line, e.g.
 * `subjectAltName=IP:127.0.0.1` or `extendedKeyUsage=clientAuth`. No network: tests trust ca.pem.
 */
export function makeCertificates(dir: string, leaves: Record<string, string>): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=mlflow-ts test CA');
  for (const [name, ext] of Object.entries(leaves)) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

/** The certificate and key of a leaf made by makeCertificates, as node:tls takes them. */
export function leafCredentials(dir: string, name: string): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(path.join(dir, `${name}.pem`)), key: readFileSync(path.join(dir, `${name}.key`)) };
}
