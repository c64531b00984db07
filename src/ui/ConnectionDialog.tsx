import type { NoteSession, WeftApp } from '../app/session';
import { isRelayed, type ConnectionDetails, type PeerPath } from '../sync/ConnectionMonitor';
import { useModalDialog } from './useModalDialog';
import { useSignal } from './useSignal';

type Props = {
  app: WeftApp;
  session: NoteSession;
  onClose: () => void;
};

const SIGNALING_TEXT: Record<ConnectionDetails['signaling'], string> = {
  connected: 'reachable',
  connecting: 'connecting…',
  unreachable: 'not reachable',
};

function pathText(path: PeerPath | null): string {
  if (path === null) return 'not known yet';
  return `${isRelayed(path) ? 'relayed' : 'direct'} (${path.local} ↔ ${path.remote})`;
}

/** Why nobody is connected, in a sentence a user can act on; null when all is well. */
function diagnosis(details: ConnectionDetails, relayAvailable: boolean): string | null {
  if (details.reachability === 'connected' || details.reachability === 'looking') return null;
  if (details.reachability === 'offline') return 'This device is offline.';
  if (details.signaling !== 'connected') {
    return 'The signaling server that introduces peers cannot be reached: check the network, or try again later.';
  }
  if (details.relayOnly && !relayAvailable) {
    return '"Hide my IP address from peers" is on, but this server offers no relay: no connection can be made.';
  }
  if (details.candidates.relay === 0 && !relayAvailable) {
    return 'Peers were found but no connection opened. Your networks do not let devices reach each other directly, and this server offers no TURN relay to go through.';
  }
  return 'Peers were found but no connection opened yet.';
}

/**
 * "Connection details": what the status line sums up — the signaling server,
 * the ICE candidates this device gathered by type, the path of each open
 * connection, the last error — with "Try again" and the privacy option.
 */
export function ConnectionDialog({ app, session, onClose }: Props) {
  const dialog = useModalDialog();
  const state = useSignal(session.state);
  const hideIp = useSignal(app.hideIpAddress);
  const relayAvailable = useSignal(app.relayAvailable);
  const details = state.connection;
  const why = details ? diagnosis(details, relayAvailable) : null;

  return (
    <dialog ref={dialog} className="share-dialog connection-dialog" aria-labelledby="connection-title" onClose={onClose}>
      <h2 id="connection-title">Connection details</h2>
      {details === null ? (
        <p>Live sync has not started for this note yet.</p>
      ) : (
        <>
          {why !== null && <p role="alert">{why}</p>}
          <dl className="connection-facts">
            <dt>Signaling server</dt>
            <dd aria-label="Signaling server">{SIGNALING_TEXT[details.signaling]}</dd>
            <dt>ICE candidates gathered</dt>
            <dd aria-label="ICE candidates gathered">
              host {details.candidates.host}, srflx {details.candidates.srflx}, relay {details.candidates.relay}
            </dd>
            <dt>Connected peers</dt>
            <dd aria-label="Connected peers">
              {details.paths.length === 0 ? 'none' : details.paths.map(pathText).join('; ')}
              {details.tabs > 0 ? ` (and ${details.tabs} other ${details.tabs === 1 ? 'tab' : 'tabs'} of this browser)` : ''}
            </dd>
            <dt>Failed attempts</dt>
            <dd aria-label="Failed attempts">{details.failedAttempts}</dd>
            <dt>Last error</dt>
            <dd aria-label="Last error">{details.lastError ?? 'none'}</dd>
          </dl>
        </>
      )}
      {(relayAvailable || hideIp) && (
        <label className="checkbox-field">
          <input type="checkbox" checked={hideIp} onChange={(e) => app.setHideIpAddress(e.target.checked)} />
          Hide my IP address from peers
        </label>
      )}
      {(relayAvailable || hideIp) && (
        <p className="small muted">
          Connections then go through the server's relay only: peers see the relay's address, never yours. It can be
          slower, and the relay carries the (encrypted) traffic.
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={() => session.retryConnection()}>
          Try again
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}
