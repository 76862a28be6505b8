import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '../../node_modules/.bin/azurite-blob');

/** Azurite's well-known development account (https://learn.microsoft.com/azure/storage/common/storage-use-azurite). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * Microsoft's Azure Storage emulator (npm `azurite`), its Blob service alone, in memory, on a
 * free port; `serviceUrl` is the account's Blob endpoint (path-style, as Azurite serves it).
 */
export class Azurite {
  private child?: ChildProcess;
  serviceUrl = '';

  /** With `tls`, it serves HTTPS with that certificate; with `oauth`, it also takes bearer tokens (checking audience, issuer and expiry, not signatures). */
  constructor(private readonly options: { tls?: { cert: string; key: string }; oauth?: boolean } = {}) {}

  get connectionString(): string {
    return `DefaultEndpointsProtocol=${this.serviceUrl.split(':')[0]};AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};BlobEndpoint=${this.serviceUrl};`;
  }

  async start(): Promise<string> {
    // --skipApiVersionCheck: the SDK may speak a newer x-ms-version than this Azurite knows.
    const { tls, oauth } = this.options;
    const args = [BIN, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent'];
    if (tls) args.push('--cert', tls.cert, '--key', tls.key);
    if (oauth) args.push('--oauth', 'basic');
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    const port = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        const m = /listens on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (m) resolve(m[1]);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`azurite-blob exited (${code}) before listening: ${output}`)));
      child.once('error', reject);
    });
    this.serviceUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
    return this.serviceUrl;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
