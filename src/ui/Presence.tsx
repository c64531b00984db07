import { useState } from 'react';
import type { NoteSession, NoteState, WeftApp } from '../app/session';
import { isRelayed, type PeerPath } from '../sync/ConnectionMonitor';
import { verdictText } from '../sync/presence';
import { ConnectionDialog } from './ConnectionDialog';
import type { RelayStatus } from '../sync/RelayTransport';
import { useSignal } from './useSignal';

/**
 * ", direct", ", relayed" or ", 1 relayed" after the peer count; nothing while no path is known.
 * A connection whose path broke (ICE restart) says so instead: ", reconnecting…" when it is every
 * peer, ", 1 reconnecting" beside others that work.
 */
function pathText(paths: readonly (PeerPath | null)[], reconnecting: number, peerCount: number): string {
  if (reconnecting > 0) return reconnecting === peerCount ? ', reconnecting…' : `, ${reconnecting} reconnecting`;
  const known = paths.filter((path): path is PeerPath => path !== null);
  if (known.length === 0) return '';
  const relayed = known.filter(isRelayed).length;
  return relayed === 0 ? ', direct' : relayed === paths.length ? ', relayed' : `, ${relayed} relayed`;
}

/**
 * The status line, in words. A note nobody else has is "Not shared"; a shared one says
 * whether it is looking, connecting, connected (and how) or can't reach anyone.
 */
export function syncStatusText(state: Pick<NoteState, 'sync' | 'peerCount' | 'shared' | 'connection'>): string {
  const { sync, peerCount, shared, connection } = state;
  const connected = `Connected to ${peerCount} ${peerCount === 1 ? 'peer' : 'peers'}`;
  if (peerCount > 0) return connection ? connected + pathText(connection.paths, connection.reconnecting, peerCount) : connected;
  if (!shared) return 'Not shared';
  if (connection === null) return sync === 'offline' ? 'Offline' : 'Looking for peers…';
  switch (connection.reachability) {
    case 'offline':
      return 'Offline';
    case 'looking':
    case 'connected':
      return 'Looking for peers…';
    case 'connecting':
      return 'Connecting…';
    case 'unreachable':
      return "Can't reach other peers";
  }
}

/** What the relay holds of the note, in words; null when the note is not shared. */
export function relayText(relay: RelayStatus | null): string | null {
  if (relay === null || relay.state === 'off') return null;
  const waiting = `${relay.pending} ${relay.pending === 1 ? 'change waits' : 'changes wait'} to be uploaded to the relay`;
  switch (relay.state) {
    case 'syncing':
      return relay.pending > 0 ? waiting : 'Saving to the relay…';
    case 'saved':
      return 'Saved to the relay';
    case 'waiting':
      return relay.message ? `${waiting}: ${relay.message}` : relay.pending > 0 ? `${waiting} (relay not reachable)` : 'Relay not reachable';
    case 'refused':
      return relay.message ? `${waiting}. ${relay.message}` : waiting;
  }
}

/**
 * Who is here and how the note is connected. Names come from other people's
 * browsers: React renders them as text, and the sync layer has already
 * bounded and cleaned them.
 */
export function Presence({ app, session }: { app: WeftApp; session: NoteSession }) {
  const state = useSignal(session.state);
  const name = useSignal(app.displayName);
  const fingerprint = useSignal(app.deviceFingerprint);
  const [draft, setDraft] = useState<string | null>(null);
  const [detailsOpen, setDetailsOpen] = useState(false);

  return (
    <section className="presence" aria-label="Collaboration">
      <span role="status" aria-label="Sync status" className={`sync-status sync-${state.connection?.reachability ?? state.sync}`}>
        {syncStatusText(state)}
      </span>
      {state.shared && (
        <button type="button" className="link-button" onClick={() => setDetailsOpen(true)}>
          Connection details
        </button>
      )}
      {detailsOpen && <ConnectionDialog app={app} session={session} onClose={() => setDetailsOpen(false)} />}
      {relayText(state.relay) !== null && (
        <span role="status" aria-label="Relay status" className={`relay-status relay-${state.relay?.state ?? 'off'}`}>
          {relayText(state.relay)}
        </span>
      )}
      <ul aria-label="People here" className="people">
        <li title="You">
          <span className="dot" style={{ background: state.selfColor }} aria-hidden="true" />
          {name} (you)
        </li>
        {state.peers.map((peer) => (
          <li key={peer.clientId} title={verdictText(peer)}>
            <span className="dot" style={{ background: peer.color }} aria-hidden="true" />
            {peer.name}
            {peer.fingerprint === undefined && <span className="muted"> (unverified)</span>}
          </li>
        ))}
      </ul>
      <label className="name-field">
        <span className="visually-hidden">Your name</span>
        <input
          type="text"
          aria-label="Your name"
          value={draft ?? name}
          maxLength={60}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => {
            if (draft !== null) app.setDisplayName(draft);
            setDraft(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.currentTarget.blur();
          }}
        />
      </label>
      {fingerprint !== null && (
        <span className="device-key muted small" title="Others see this fingerprint beside your name and your versions">
          Your device key:{' '}
          <output aria-label="Your device key" className="fingerprint">
            {fingerprint}
          </output>
        </span>
      )}
    </section>
  );
}
