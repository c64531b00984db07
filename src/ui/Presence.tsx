import { useState } from 'react';
import type { NoteSession, WeftApp } from '../app/session';
import type { RelayStatus } from '../sync/RelayTransport';
import type { SyncStatus } from '../sync/Transport';
import { useSignal } from './useSignal';

function statusText(status: SyncStatus, peerCount: number): string {
  switch (status) {
    case 'offline':
      return 'Offline';
    case 'connecting':
      return 'Looking for peers…';
    case 'connected':
      return `Connected to ${peerCount} ${peerCount === 1 ? 'peer' : 'peers'}`;
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
  const [draft, setDraft] = useState<string | null>(null);

  return (
    <section className="presence" aria-label="Collaboration">
      <span role="status" aria-label="Sync status" className={`sync-status sync-${state.sync}`}>
        {statusText(state.sync, state.peerCount)}
      </span>
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
          <li key={peer.clientId}>
            <span className="dot" style={{ background: peer.color }} aria-hidden="true" />
            {peer.name}
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
    </section>
  );
}
