import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';

/**
 * An HTTP proxy (what HTTPS_PROXY points at) that answers a CONNECT to one of the cloud hosts a
 * test names itself, over TLS with a certificate of a test CA, so that an SDK whose endpoints are
 * fixed (Google's OAuth token URL, an Azure account's blob host) reaches a local handler with its
 * own, unmodified requests. CONNECTs to any other host are refused and recorded.
 */
export class InterceptingProxy {
  private readonly server: http.Server;
  private readonly inner = new Map<string, http.Server>();
  /** host:port of each CONNECT, in order */
  readonly connects: string[] = [];
  url = '';

  constructor(credentials: { cert: Buffer; key: Buffer }, hosts: Record<string, http.RequestListener>) {
    const context = tls.createSecureContext(credentials);
    for (const [host, handler] of Object.entries(hosts)) this.inner.set(host, http.createServer(handler));
    this.server = http.createServer((_req, res) => res.writeHead(405).end());
    this.server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
      const target = req.url ?? '';
      this.connects.push(target);
      const [host, port] = target.split(':');
      const handler = port === '443' ? this.inner.get(host) : undefined;
      if (handler === undefined) {
        socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      handler.emit('connection', new tls.TLSSocket(socket, { isServer: true, secureContext: context }));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    for (const s of this.inner.values()) s.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The whole body of a request, as text. */
export async function bodyText(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
