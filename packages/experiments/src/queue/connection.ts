/**
 * The Redis behind a sweep's queue: a `redis://[user:password@]host[:port][/db]` URL (or `rediss://` for TLS)
 * as connection options for BullMQ, and a quick check that the server answers before anything waits on it. A
 * BullMQ connection retries for ever when Redis is down, which is right for a worker that should outlive a Redis
 * restart, but a command given a wrong URL should say so at once: `checkRedis` tries once, with a short timeout.
 */
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError } from '../config/load.js';

/** The queue every sweep's jobs go to (one queue per Redis database; each worker's --out is its shared folder). */
export const QUEUE_NAME = 'saelab-sweep';

const HOW_TO_START = 'Start one with `redis-server --port 6379` (Debian/Ubuntu: `apt-get install redis-server`), '
  + 'or pass the URL of a running one, e.g. --queue redis://127.0.0.1:6379';

/** Redis unreachable, or a URL that is not one: the CLI exits with code 2 (a usage error). */
export class QueueConnectionError extends ConfigError {}

/** Connection options from a redis:// URL; a URL that is not one is a QueueConnectionError. */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueConnectionError(`--queue '${url}' is not a URL; expected redis://HOST:PORT. ${HOW_TO_START}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new QueueConnectionError(`--queue '${url}': expected a redis:// (or rediss://) URL, e.g. `
      + 'redis://127.0.0.1:6379');
  }
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new QueueConnectionError(`--queue '${url}': the path must be a database number (e.g. /0), not '${db}'`);
  }
  return {
    host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Connects once (at most `timeoutMs`), pings and disconnects; returns the URL's connection options. Throws a
 * QueueConnectionError naming the URL, what went wrong and how to start Redis.
 */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<RedisOptions> {
  const options = redisOptions(url);
  const probe = new Redis({ ...options, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0,
    enableOfflineQueue: false, retryStrategy: () => null });
  let last: Error | undefined;
  probe.on('error', (e: Error) => { last = e; });
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    const why = ((last ?? (e as Error)).message || (e as Error).name).replace(/\.+$/, '');
    throw new QueueConnectionError(`cannot reach Redis at ${url}: ${why}. ${HOW_TO_START}`);
  } finally {
    probe.disconnect();
  }
  return options;
}
