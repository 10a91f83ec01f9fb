import { readFile } from 'node:fs/promises';

/** Loopback as /proc/net/tcp{,6} write it (hex, in the kernel's byte order): 127.0.0.1, ::1, and
 * ::ffff:127.0.0.1 (where a JVM binds 127.0.0.1 on a dual-stack socket). */
const LOOPBACK: Readonly<Record<string, string>> = {
  '0100007F': '127.0.0.1',
  '00000000000000000000000001000000': '::1',
  '0000000000000000FFFF00000100007F': '127.0.0.1',
};
const LISTEN = '0A';

/**
 * The local addresses of the sockets listening on `port`, from the kernel's socket tables
 * (/proc/net/tcp and tcp6; Linux, where the suite runs): `127.0.0.1`, `::1`, or the raw hex of any other
 * address (`00000000` is 0.0.0.0, every interface).
 */
export async function listeningAddresses(port: number): Promise<string[]> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== LISTEN) continue;
      const [address, p] = local.split(':');
      if (p !== hexPort || !address) continue;
      found.push(LOOPBACK[address] ?? address);
    }
  }
  return found;
}

/** Whether something listens on `port` and every socket that does is bound to loopback only. */
export async function listensOnLoopbackOnly(port: number): Promise<{ ok: boolean; addresses: string[] }> {
  const addresses = await listeningAddresses(port);
  return {
    ok: addresses.length > 0 && addresses.every((a) => a === '127.0.0.1' || a === '::1'),
    addresses,
  };
}
