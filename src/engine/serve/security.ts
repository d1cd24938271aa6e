/**
 * Who may talk to the web-mode server. The random token is the real lock (a page elsewhere cannot
 * read it); Host and Origin checks add defence in depth against DNS rebinding and other local pages.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** 32 random bytes, URL-safe. */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison, so response timing does not leak how much of a guess was right. */
export function tokensEqual(given: string | null, expected: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Splits a Host header ("name:port", "[v6]:port") into hostname and port; null when malformed. */
export function parseHostHeader(header: string | undefined): { hostname: string; port: number | null } | null {
  if (!header) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return null;
  return { hostname: m[1].toLowerCase(), port: m[2] === undefined ? null : Number(m[2]) };
}

export interface HostPolicy {
  /** The address the server listens on. */
  boundHost: string;
  port: number;
  /** Extra host names accepted when listening beyond loopback (e.g. the machine's LAN name). */
  allowedHosts: readonly string[];
}

/**
 * A loopback server answers only to loopback names on its own port: a rebinding attacker's page
 * reaches it under the attacker's domain name, which is refused here. A server bound beyond loopback
 * (explicit host) also accepts IP literals and the names it was told about.
 */
export function hostAllowed(header: string | undefined, policy: HostPolicy): boolean {
  const host = parseHostHeader(header);
  if (host === null || (host.port ?? 80) !== policy.port) return false;
  if (isLoopbackHost(host.hostname)) return true;
  if (isLoopbackHost(policy.boundHost)) return false;
  const bare = host.hostname.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 || bare === policy.boundHost.toLowerCase() || policy.allowedHosts.some((h) => h.toLowerCase() === bare);
}

/**
 * A browser always sends Origin on a WebSocket handshake; it must be this server's own origin (the
 * page it served). No Origin means a non-browser client, which still needs the token.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!hostHeader) return false;
  return origin.toLowerCase() === `http://${hostHeader.toLowerCase()}`;
}
