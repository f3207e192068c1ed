// The seams' contract suites against the cluster's Redis implementations, on a redis-server this file
// starts on a free port (nothing kept on disk), each test under a key prefix of its own.
import { after, test } from 'node:test';
import type { Redis } from 'ioredis';
import { openRedis } from '../../src/broker/redis-connection.ts';
import { RedisCommandBroker } from '../../src/broker/redis-command-broker.ts';
import { RedisEventBuffer } from '../../src/broker/redis-event-buffer.ts';
import { RedisTrafficLog } from '../../src/broker/redis-traffic-log.ts';
import { RedisSignInLimiter } from '../../src/auth/redis-sign-in-limiter.ts';
import { freshKeyPrefix, redisSkip, startTestRedis } from '../../../../test/support/redis.ts';
import { commandBrokerContract } from './command-broker.contract.ts';
import { eventBufferContract } from './event-buffer.contract.ts';
import { trafficLogContract } from './traffic-log.contract.ts';
import { signInLimiterContract } from './sign-in-limiter.contract.ts';
import type { Made } from './factory.ts';

const skip = redisSkip();
if (skip) test(`Redis seams ${skip}`, { skip }, () => {});
else {
  const server = await startTestRedis();
  after(() => server.stop());

  /** A connection under a fresh key prefix; the cleanup deletes every key under it. */
  const connected = async <T>(
    make: (redis: Redis, prefix: string) => Promise<T> | T,
    close?: (made: T) => Promise<void>,
  ): Promise<Made<T>> => {
    const redis = await openRedis(server.url);
    const prefix = freshKeyPrefix();
    const instance = await make(redis, prefix);
    return {
      instance,
      cleanup: async () => {
        await close?.(instance);
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      },
    };
  };

  commandBrokerContract('Redis', async (options) => {
    const subscriber = await openRedis(server.url);
    return connected(
      (redis, keyPrefix) =>
        RedisCommandBroker.start({ redis, subscriber, keyPrefix, maxPollWaitMs: 30_000, ...options }),
      (broker) => broker.close(),
    );
  });

  eventBufferContract('Redis', async (limits) => {
    const subscriber = await openRedis(server.url);
    return connected(
      (redis, prefix) => new RedisEventBuffer(redis, subscriber, prefix, limits),
      (buffer) => buffer.close(),
    );
  });

  trafficLogContract('Redis', () => connected((redis, prefix) => new RedisTrafficLog(redis, prefix)));

  signInLimiterContract('Redis', (limits) =>
    connected((redis, prefix) => new RedisSignInLimiter(redis, prefix, limits)),
  );
}
