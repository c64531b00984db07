export interface Coturn {
  /** The address and port it listens on (UDP and TCP). */
  readonly host: string;
  readonly port: number;
  /** Its static-auth-secret: what TURN_SECRET must be. */
  readonly secret: string;
  /** `turn:<host>:<port>?transport=udp`. */
  readonly url: string;
  /** Everything it logged so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartCoturnOptions {
  /** Address to listen on and relay from (default 127.0.0.1). */
  host?: string;
  /** Port (default: a free UDP port the OS picks on `host`). */
  port?: number;
  /** Runs the server through this prefix, e.g. `['ip', 'netns', 'exec', 'ns']`. */
  prefix?: readonly string[];
}

/** Where Debian installs coturn's server. */
export declare const TURNSERVER_PATH: string;
/** True when coturn is installed. */
export declare function coturnInstalled(): boolean;
/** Asks the OS for a free UDP port on `host` (coturn takes a port number, not 0). */
export declare function freeUdpPort(host?: string): Promise<number>;
/** Starts coturn with a fresh secret; resolves once it listens. */
export declare function startCoturn(options?: StartCoturnOptions): Promise<Coturn>;
/** coturn's version line, for failure messages. */
export declare function coturnVersion(): string;
