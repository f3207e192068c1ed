import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** A metadata document larger than this is refused (the draft suggests 5 KB; a little slack for whitespace). */
const MAX_DOCUMENT_BYTES = 16 * 1024;
const FETCH_TIMEOUT_MS = 5_000;

/** Addresses an outside document must never be fetched from: loopback, private, link-local, and the like. */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Whether an address is one the public internet routes to (an IPv4-mapped IPv6 address as its IPv4). */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return !NOT_PUBLIC.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export class MetadataFetchRefused extends Error {}

/**
 * Resolves the host and refuses non-public addresses before connecting; the socket connects to the address
 * checked, so a DNS answer that changes between check and connect (rebinding) cannot slip through.
 */
function checkedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const usable = allowPrivate ? addresses : addresses.filter((a) => isPublicAddress(a.address));
      if (usable.length === 0)
        return callback(
          new MetadataFetchRefused(
            `${hostname} resolves only to private, loopback or otherwise non-public addresses (${addresses.map((a) => a.address).join(', ')})`,
          ),
          '',
          0,
        );
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

/**
 * GETs a Client ID Metadata Document over HTTPS: no redirects, bounded size and time, JSON only, from public
 * addresses unless `allowPrivate` (development). Rejects with a sentence that says what was wrong.
 */
export function fetchClientMetadata(url: URL, allowPrivate: boolean): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (
      !allowPrivate &&
      isIP(url.hostname.replace(/^\[|\]$/g, '')) &&
      !isPublicAddress(url.hostname.replace(/^\[|\]$/g, ''))
    )
      return reject(
        new MetadataFetchRefused(`${url.hostname} is a private, loopback or otherwise non-public address`),
      );
    const req = request(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/json' },
        lookup: checkedLookup(allowPrivate),
        timeout: FETCH_TIMEOUT_MS,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(
            new MetadataFetchRefused(`it answered HTTP ${res.statusCode} (redirects are not followed)`),
          );
        }
        const type = String(res.headers['content-type'] ?? '');
        if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
          res.resume();
          return reject(
            new MetadataFetchRefused(`its Content-Type is ${type || 'missing'}, not application/json`),
          );
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_DOCUMENT_BYTES) {
            req.destroy(new MetadataFetchRefused(`it is larger than ${MAX_DOCUMENT_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch {
            reject(new MetadataFetchRefused('it is not valid JSON'));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new MetadataFetchRefused(`it did not answer within ${FETCH_TIMEOUT_MS / 1000} s`)),
    );
    req.on('error', (error) =>
      reject(
        error instanceof MetadataFetchRefused
          ? error
          : new MetadataFetchRefused(
              `it could not be fetched (${(error as NodeJS.ErrnoException).code ?? error.message})`,
            ),
      ),
    );
    req.end();
  });
}
