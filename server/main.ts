/**
 * Entry point: `node build/server/main.js` (what `npm start` runs). Reads the environment
 * through `config.ts`, serves the app and signaling, and shuts down gracefully on
 * SIGINT/SIGTERM: stop accepting, close WebSockets with 1001, finish in-flight HTTP, exit 0.
 * A second signal, or a shutdown that outlasts its bound, forces exit 1.
 */
import { ConfigError, loadConfig, type WeftConfig } from './config.js';
import { SHUTDOWN_TIMEOUT_MS, createWeftServer } from './createServer.js';
import { createLogger } from './logger.js';
import { SqliteRelayStore } from './SqliteRelayStore.js';
import type { AddressBudgets } from './AddressBudgets.js';
import { budgetRates } from './createRelayHandler.js';
import { DEFAULT_RELAY_LIMITS } from './relayProtocol.js';
import { RedisAddressBudgets } from './RedisAddressBudgets.js';
import { RedisRelayStore } from './RedisRelayStore.js';
import { RedisFanout } from './RedisFanout.js';
import type { RelayStore } from './RelayStore.js';
import type { SignalingFanout } from './SignalingFanout.js';

/** How long start-up waits for Redis before listening anyway. */
const REDIS_START_WAIT_MS = 5_000;
/** Extra time on top of the server's own shutdown bound before the process is forced out. */
const FORCE_EXIT_MARGIN_MS = 2_000;

const logger = createLogger();

/**
 * Last-resort guard: a bug reachable from one socket must not take every peer down with
 * it. Logs the error's kind and stack frames only — messages can quote client data (a
 * JSON SyntaxError does).
 */
function logUnexpected(kind: string, err: unknown): void {
  const name = err instanceof Error ? err.name : typeof err;
  const frames = err instanceof Error && err.stack ? err.stack.split('\n').slice(1, 6).join('\n') : '';
  logger.error(`${kind}: ${name}`);
  if (frames) process.stdout.write(frames + '\n');
}
process.on('uncaughtException', (err) => logUnexpected('uncaught exception', err));
process.on('unhandledRejection', (err) => logUnexpected('unhandled rejection', err));

async function main(): Promise<void> {
  let config: WeftConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`weft: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  let relayStore: RelayStore;
  let fanout: SignalingFanout | undefined;
  let relayBudgets: (() => AddressBudgets) | undefined;
  if (config.redisUrl !== null) {
    // Several instances act as one: the relay store and signaling fan-out live in Redis.
    const redisStore = new RedisRelayStore(config.redisUrl);
    relayStore = redisStore;
    fanout = new RedisFanout(config.redisUrl, logger);
    // Per-address budgets shared by every instance (main never overrides the relay's limits).
    const budgets = new RedisAddressBudgets(config.redisUrl, budgetRates(DEFAULT_RELAY_LIMITS));
    relayBudgets = () => budgets;
    // Listen once Redis answers (or after a bound: the app and signaling are served
    // either way, and relay requests get 503 until Redis is back).
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      Promise.all([redisStore.ready(), budgets.ready()]).then(
        ([{ fsyncEveryWrite }]) => {
          if (!fsyncEveryWrite) logger.error('redis does not fsync every write (appendonly yes, appendfsync always): acknowledged relay writes may be lost if redis crashes');
          return true;
        },
        () => false,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), REDIS_START_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (!waited) logger.error('redis not reachable yet: relay requests fail until it is');
  } else {
    try {
      relayStore = new SqliteRelayStore(config.dataDir);
    } catch (err) {
      process.stderr.write(`weft: cannot open the relay database in ${config.dataDir}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  }
  const server = createWeftServer({ ...config, logger, relayStore, ...(fanout ? { fanout } : {}), ...(relayBudgets ? { relayBudgets } : {}) });
  let url: string;
  try {
    ({ url } = await server.listen());
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EACCES' ? 'permission denied' : String(code ?? err);
    process.stderr.write(`weft: cannot listen on ${config.host}:${config.port}: ${why}.\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.error(`${signal} again: forcing exit`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: shutting down`);
    setTimeout(() => {
      logger.error('shutdown took too long: forcing exit');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS + FORCE_EXIT_MARGIN_MS).unref();
    server.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // What clients are told about NAT traversal (never the secret): a deployer checks it here.
  if (config.turn !== null) logger.info('TURN credentials minted per client', { servers: config.turn.urls.length, ttlSeconds: config.turn.ttlSeconds });
  else if (config.stunUrls.length === 0 && config.iceServers.length === 0) logger.info('no STUN/TURN configured: peers connect on one machine or LAN only');
  // Printed last: whoever waits for this line may signal right away.
  process.stdout.write(`Weft is running at ${url}\n`);
}

void main();
