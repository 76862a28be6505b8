import net from 'node:net';

/** A TCP port free on the loopback interface right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Polls `url` until it answers with a status `accept` takes (default: 2xx), or the deadline passes. */
export async function waitForUrl(url: string, deadlineMs: number, accept: (status: number) => boolean = (s) => s >= 200 && s < 300): Promise<Response> {
  for (;;) {
    const res = await fetch(url).catch(() => undefined);
    if (res && accept(res.status)) return res;
    if (Date.now() > deadlineMs) throw new Error(`${url} did not answer in time${res ? ` (last status ${res.status})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
