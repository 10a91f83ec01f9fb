import { readdir, readFile, readlink } from 'node:fs/promises';

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
  return (await listeningSockets()).filter((s) => s.port === port).map((s) => s.address);
}

/** A listening TCP socket: its local address (as {@link listeningAddresses} writes it), port and inode. */
export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
  readonly inode: string;
}

/** Every listening TCP socket of this machine's network namespace (/proc/net/tcp and tcp6). */
export async function listeningSockets(): Promise<ListeningSocket[]> {
  const found: ListeningSocket[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state] = fields;
      if (!local || state !== LISTEN) continue;
      const [address, hexPort] = local.split(':');
      if (!address || !hexPort) continue;
      found.push({
        address: LOOPBACK[address] ?? address,
        port: parseInt(hexPort, 16),
        inode: fields[9] ?? '',
      });
    }
  }
  return found;
}

/** The processes holding a socket (by inode), as `pid command line`, for a message that says who listens. */
export async function socketOwners(inode: string): Promise<string[]> {
  const owners: string[] = [];
  for (const pid of (await readdir('/proc').catch(() => [])).filter((p) => /^\d+$/.test(p))) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (target !== `socket:[${inode}]`) continue;
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      owners.push(`${pid} ${cmd.split('\0').join(' ').trim().slice(0, 200)}`);
      break;
    }
  }
  return owners;
}

/** Whether something listens on `port` and every socket that does is bound to loopback only. */
export async function listensOnLoopbackOnly(port: number): Promise<{ ok: boolean; addresses: string[] }> {
  const addresses = await listeningAddresses(port);
  return {
    ok: addresses.length > 0 && addresses.every((a) => a === '127.0.0.1' || a === '::1'),
    addresses,
  };
}
