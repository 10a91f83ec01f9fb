import { InvalidEventPatternError } from './pattern-errors.js';

// Only text shaped like these is treated as an IP address at all (event-ruler's Constants): an IPv4
// address in dotted-quad form, or hex digits and colons with at least one colon for IPv6. Anything else,
// such as "::ffff:10.0.0.1" or a zone id, is just a string.
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const MASK_BITS = /^[+-]?[0-9]+$/;

function parseIpv4(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(4);
  const parts = text.split('.');
  for (let i = 0; i < 4; i++) {
    // Decimal, leading zeros allowed, as java.net.InetAddress reads a literal.
    const value = Number(parts[i]);
    if (!Number.isInteger(value) || value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const part of text.split(':')) {
    if (!HEX_GROUP.test(part)) return undefined;
    groups.push(Number.parseInt(part, 16));
  }
  return groups;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  const explicit = head.length + tail.length;
  // "::" stands for at least one zero group; without it all eight groups must be written.
  if (halves.length === 2 ? explicit > 7 : explicit !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** Whether 16 address bytes are an IPv4-mapped IPv6 address, ::ffff:0:0/96 (RFC 4291, section 2.5.5.2). */
function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Parses an IPv4 or IPv6 address literal into its 4 or 16 bytes; undefined when it is not one. An
 * IPv4-mapped IPv6 address (`::ffff:a00:5`, in any spelling of its hex groups) is read as the IPv4
 * address it carries (10.0.0.5), as event-ruler's `java.net.InetAddress.getByName` does: it then falls in
 * IPv4 blocks and not in IPv6 ones, and a mapped block (`::ffff:a00:0/120`) is an IPv4 block whose mask
 * must be < 32. The dotted form `::ffff:10.0.0.5` is not an address at all (see the shapes above).
 */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (!IPV6_SHAPE.test(text)) return undefined;
  const bytes = parseIpv6(text);
  return bytes !== undefined && isIpv4Mapped(bytes) ? bytes.slice(12) : bytes;
}

/**
 * Validates a `cidr` operand and compiles it into a test over strings: true when the string is an
 * address of the same family inside the block. Host bits set in the base address are ignored, so
 * `10.0.0.5/24` covers 10.0.0.0–10.0.0.255.
 */
export function compileCidr(cidr: string, path: string): (text: string) => boolean {
  const parts = cidr.split('/');
  // java.lang.String#split drops trailing empty strings, so "10.0.0.0/24/" is accepted upstream too.
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) throw new InvalidEventPatternError("Malformed CIDR, one '/' required", path);
  const [address = '', maskText = ''] = parts;
  const maskBits = Number(maskText);
  if (!MASK_BITS.test(maskText) || !Number.isSafeInteger(maskBits) || Math.abs(maskBits) > 2 ** 31 - 1) {
    throw new InvalidEventPatternError('Malformed CIDR, mask bits must be an integer', path);
  }
  if (maskBits < 0)
    throw new InvalidEventPatternError('Malformed CIDR, mask bits must not be negative', path);
  const isIpShaped = IPV4_SHAPE.test(address) || IPV6_SHAPE.test(address);
  const network = parseIpAddress(address);
  if (network === undefined) {
    const reason = isIpShaped ? `Invalid IP address: ${address}` : `Nonstandard IP address: ${address}`;
    throw new InvalidEventPatternError(reason, path);
  }
  // event-ruler bounds the mask strictly below the address width, so /32 and /128 are rejected.
  if (network.length === 4 && maskBits > 31) {
    throw new InvalidEventPatternError('IPv4 mask bits must be < 32', path);
  }
  if (network.length === 16 && maskBits > 127) {
    throw new InvalidEventPatternError('IPv6 mask bits must be < 128', path);
  }
  const fullBytes = Math.floor(maskBits / 8);
  const partialMask = (0xff << (8 - (maskBits % 8))) & 0xff;
  return (text) => {
    const candidate = parseIpAddress(text);
    if (candidate === undefined || candidate.length !== network.length) return false;
    for (let i = 0; i < fullBytes; i++) {
      if (candidate[i] !== network[i]) return false;
    }
    if (partialMask === 0) return true;
    return ((candidate[fullBytes] ?? 0) & partialMask) === ((network[fullBytes] ?? 0) & partialMask);
  };
}
