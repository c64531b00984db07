/**
 * What one note's peer connections are really doing, for the status line and
 * the "Connection details" dialog: whether signaling answers, which ICE
 * candidates this device gathered (host, srflx, relay), which path each open
 * connection took (direct or through a TURN relay), the last error, and a
 * verdict that turns "Can't reach other peers" once trying has gone on for
 * {@link UNREACHABLE_AFTER_MS} without a connection. PeerRoom feeds it events;
 * it owns one timer (for that verdict) and nothing else.
 */

/** An ICE candidate's type (RTCIceCandidate.type). */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
export const CANDIDATE_TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];

/** The candidate pair a connection uses: relayed when either end is a TURN relay. */
export interface PeerPath {
  readonly local: CandidateType;
  readonly remote: CandidateType;
}

export const isRelayed = (path: PeerPath): boolean => path.local === 'relay' || path.remote === 'relay';

/**
 * - `offline`: the browser says it has no network;
 * - `looking`: signaling works, no other peer has answered (nobody else has the note open, as far as we can tell);
 * - `connecting`: signaling or a connection is being set up;
 * - `connected`: at least one peer (or tab) is connected;
 * - `unreachable`: trying for {@link UNREACHABLE_AFTER_MS} without success: signaling does not answer,
 *   or peers were found but no connection to them opened.
 */
export type Reachability = 'offline' | 'looking' | 'connecting' | 'connected' | 'unreachable';

/** A snapshot for the UI. */
export interface ConnectionDetails {
  readonly reachability: Reachability;
  /** The signaling server(s): at least one socket open, trying, or not answering for a while. */
  readonly signaling: 'connected' | 'connecting' | 'unreachable';
  /** ICE candidates this device gathered for this note's connections, by type. */
  readonly candidates: Readonly<Record<CandidateType, number>>;
  /** The open WebRTC connections' selected pairs (null: not known yet). */
  readonly paths: readonly (PeerPath | null)[];
  /** How many of them lost their path and are being restarted (ICE restart): their channels wait. */
  readonly reconnecting: number;
  /** Other tabs of this browser connected over BroadcastChannel. */
  readonly tabs: number;
  /** Connection attempts that ended without opening, since the last success or "Try again". */
  readonly failedAttempts: number;
  /** The last thing that went wrong, in words (an ICE server error, a failed connection); null if none. */
  readonly lastError: string | null;
  /** Connections use TURN relays only ("Hide my IP address from peers"). */
  readonly relayOnly: boolean;
}

/** What the owner handed the UI (Transport.connection). */
export interface ConnectionHandle {
  readonly details: ConnectionDetails;
  /** Calls `listener` after `details` changed. Returns its disposer. */
  onDetails(listener: () => void): () => void;
  /**
   * "Try again": reconnect signaling now, drop connections that never opened, restart ICE on
   * stalled ones, look for peers again. `reconnectAll`: drop the open ones too (a changed
   * privacy setting must not leave connections made the other way).
   */
  retry(options?: { readonly reconnectAll?: boolean }): void;
}

/** How long trying may go on before the status says "Can't reach other peers". */
export const UNREACHABLE_AFTER_MS = 20_000;

/** What the room reports on every change of its state. */
export interface MonitorInput {
  readonly online: boolean;
  readonly signalingConnected: boolean;
  /** Open WebRTC connections' paths. */
  readonly paths: readonly (PeerPath | null)[];
  /** How many of them are between a lost path and a new one (ICE restart). */
  readonly reconnecting: number;
  readonly tabs: number;
  /** Connections being set up (not open yet). */
  readonly pending: number;
  readonly relayOnly: boolean;
}

export interface ConnectionMonitorOptions {
  readonly onChange: () => void;
  readonly unreachableAfterMs?: number;
  readonly now?: () => number;
  readonly setTimeout?: (run: () => void, ms: number) => unknown;
  readonly clearTimeout?: (timer: unknown) => void;
}

const noCandidates = (): Record<CandidateType, number> => ({ host: 0, srflx: 0, prflx: 0, relay: 0 });

export class ConnectionMonitor {
  private input: MonitorInput = { online: true, signalingConnected: false, paths: [], reconnecting: 0, tabs: 0, pending: 0, relayOnly: false };
  private candidates = noCandidates();
  private lastError: string | null = null;
  private failedAttempts = 0;
  /** Since when signaling has been down (while online), or null. */
  private signalingDownSince: number | null;
  /** Since when connections have been tried without one opening, or null. */
  private tryingSince: number | null = null;
  private lastFailureAt: number | null = null;
  private timer: unknown = null;
  private current: ConnectionDetails;
  private readonly after: number;
  private readonly now: () => number;
  private readonly setTimer: (run: () => void, ms: number) => unknown;
  private readonly clearTimer: (timer: unknown) => void;
  private disposed = false;

  constructor(private readonly options: ConnectionMonitorOptions) {
    this.after = options.unreachableAfterMs ?? UNREACHABLE_AFTER_MS;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimeout ?? ((run, ms) => globalThis.setTimeout(run, ms));
    this.clearTimer = options.clearTimeout ?? ((timer) => globalThis.clearTimeout(timer as ReturnType<typeof setTimeout>));
    this.signalingDownSince = this.now();
    this.current = this.compute();
  }

  get details(): ConnectionDetails {
    return this.current;
  }

  /** The room's state changed (or may have). */
  update(input: MonitorInput): void {
    const now = this.now();
    if (input.signalingConnected || !input.online) this.signalingDownSince = null;
    else this.signalingDownSince ??= now;
    if (input.paths.length > 0 || input.tabs > 0) {
      // Connected: whatever failed before is history.
      this.tryingSince = null;
      this.failedAttempts = 0;
    } else if (input.pending > 0) this.tryingSince ??= now;
    this.input = input;
    this.recompute();
  }

  /** A connection attempt ended without opening. */
  attemptFailed(reason: string): void {
    this.failedAttempts++;
    this.lastFailureAt = this.now();
    this.tryingSince ??= this.lastFailureAt;
    this.lastError = reason;
    this.recompute();
  }

  /** This device gathered a candidate. */
  candidate(type: CandidateType): void {
    this.candidates = { ...this.candidates, [type]: this.candidates[type] + 1 };
    this.recompute();
  }

  /** Something went wrong that the user may want to know (an ICE server refused us, …). */
  error(message: string): void {
    this.lastError = message;
    this.recompute();
  }

  /** "Try again": forget failures and start the clock again. */
  reset(): void {
    this.candidates = noCandidates();
    this.lastError = null;
    this.failedAttempts = 0;
    this.tryingSince = this.lastFailureAt = null;
    if (this.signalingDownSince !== null) this.signalingDownSince = this.now();
    this.recompute();
  }

  dispose(): void {
    this.disposed = true;
    this.cancel();
  }

  private recompute(): void {
    if (this.disposed) return;
    const now = this.now();
    // Failures stopped (nobody is trying to reach us any more, no attempt under way): back to looking.
    if (this.tryingSince !== null && this.input.pending === 0 && (this.lastFailureAt === null || now - this.lastFailureAt >= 2 * this.after)) {
      this.tryingSince = null;
    }
    const next = this.compute();
    this.schedule(now);
    if (JSON.stringify(next) === JSON.stringify(this.current)) return;
    this.current = next;
    this.options.onChange();
  }

  private compute(): ConnectionDetails {
    const { online, signalingConnected, paths, reconnecting, tabs, relayOnly } = this.input;
    const now = this.now();
    const signalingLate = this.signalingDownSince !== null && now - this.signalingDownSince >= this.after;
    const tryingLate = this.tryingSince !== null && now - this.tryingSince >= this.after;
    const reachability: Reachability =
      paths.length + tabs > 0
        ? 'connected'
        : !online
          ? 'offline'
          : !signalingConnected
            ? signalingLate ? 'unreachable' : 'connecting'
            : this.tryingSince !== null
              ? tryingLate ? 'unreachable' : 'connecting'
              : 'looking';
    return {
      reachability,
      signaling: signalingConnected ? 'connected' : signalingLate ? 'unreachable' : 'connecting',
      candidates: this.candidates,
      paths,
      reconnecting,
      tabs,
      failedAttempts: this.failedAttempts,
      lastError: this.lastError,
      relayOnly,
    };
  }

  /** Wakes up at the next instant the verdict can change by time alone. */
  private schedule(now: number): void {
    this.cancel();
    const deadlines: number[] = [];
    if (this.signalingDownSince !== null) deadlines.push(this.signalingDownSince + this.after);
    if (this.tryingSince !== null) deadlines.push(this.tryingSince + this.after);
    if (this.tryingSince !== null && this.lastFailureAt !== null) deadlines.push(this.lastFailureAt + 2 * this.after);
    const next = deadlines.filter((at) => at > now).reduce((a, b) => Math.min(a, b), Infinity);
    if (!Number.isFinite(next)) return;
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.recompute();
    }, next - now);
  }

  private cancel(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }
}
