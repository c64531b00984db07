import type { ChildProcess } from 'node:child_process';

export type NatKind = 'cone' | 'symmetric';
export type Home = 'A' | 'B';

/** The address the public namespace serves (the Weft server, coturn). */
export declare const PUBLIC_SERVICE_ADDRESS: string;

export interface NatNetwork {
  readonly names: { readonly public: string; readonly routerA: string; readonly routerB: string; readonly homeA: string; readonly homeB: string };
  /** The home's address (its private one), for messages. */
  homeAddress(home: Home): string;
  /** The router's public address: what peers see of the home behind it. */
  publicAddressOf(home: Home): string;
  /** Sets router `home`'s NAT mode, for flows that start from now on. */
  setNat(home: Home, kind: NatKind): void;
  /** Drops (`true`) or forwards again every UDP packet through router `home`: a path that breaks while TCP goes on. */
  cutUdp(home: Home, cut: boolean): void;
  /** Starts `command` inside the public namespace. */
  spawnPublic(command: string, args: readonly string[], env?: Record<string, string>): ChildProcess;
  /** The argument prefix that runs a command in the public namespace (`ip netns exec <ns>`). */
  readonly publicPrefix: readonly string[];
  /** An executable that runs Chromium inside the home's namespace (Playwright's `executablePath`). */
  chromiumIn(home: Home): string;
  destroy(): void;
}

/** Why namespaces cannot be made here (not root, no iproute2/nftables), or null when they can. */
export declare function namespaceProblem(): string | null;
/** Builds the network. Throws (after removing what it built) when a step fails. */
export declare function createNatNetwork(): NatNetwork;

export interface PublicServer {
  readonly url: string;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}
export declare function startPublicServer(
  net: NatNetwork,
  options: { entry: string; staticDir: string; cwd: string; env?: Record<string, string> },
): Promise<PublicServer>;
