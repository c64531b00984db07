/**
 * An in-process Weft server for security e2e tests: the same `createWeftServer` as
 * `server/main.ts`, over the built `dist/`, with the test-only signaling hooks (every frame
 * clients send is captured; relayed publishes can be rewritten) and every log line captured.
 */
import { createWeftServer } from '../../../server/createServer';
import { createLogger } from '../../../server/logger';
import type { SignalingTestHooks } from '../../../server/SignalingServer';
import { DIST_DIR, TEST_HOST, assertBuilt } from './server';

/** A started in-process server. */
export interface CapturingServer {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Every text frame any client sent to `/signal`, in arrival order. */
  readonly frames: string[];
  /** Every line the server logged (what `main.ts` would print on stdout). */
  readonly logs: string[];
  stop(): Promise<void>;
}

/** Starts the server; `transformRelay` may rewrite each relayed publish (return several to send several). */
export async function startCapturingServer(
  options: { transformRelay?: SignalingTestHooks['transformRelay'] } = {},
): Promise<CapturingServer> {
  assertBuilt(DIST_DIR);
  const frames: string[] = [];
  const logs: string[] = [];
  const server = createWeftServer({
    host: TEST_HOST,
    port: 0,
    staticDir: DIST_DIR,
    logger: createLogger((line) => logs.push(line)),
    testHooks: {
      onFrame: (text) => frames.push(text),
      ...(options.transformRelay ? { transformRelay: options.transformRelay } : {}),
    },
  });
  const { url } = await server.listen();
  return { url: url.replace(/\/$/, ''), frames, logs, stop: () => server.close() };
}
