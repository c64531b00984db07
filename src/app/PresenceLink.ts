/**
 * Publishes who else has a note open (from presence) and keeps the local
 * user's published name in step with the display name.
 */
import type { Awareness } from 'y-protocols/awareness';
import { readPeers, samePeers, type PresencePeer } from '../sync/presence';
import type { PresenceIdentities } from '../sync/PresenceIdentities';
import type { Signal } from './Signal';

export interface PresenceLinkOptions {
  awareness: Awareness;
  /** The local user's display name; a change is published to peers. */
  displayName: Signal<string>;
  /**
   * The local user as the editor binding publishes it on every focus change:
   * mutated in place, so the binding's next publication carries the new name too.
   */
  user: { name: string };
  /** The people list now (to compare against). */
  peers: () => readonly PresencePeer[];
  /** Called with the new people list when someone comes, goes or renames. */
  onPeers: (peers: readonly PresencePeer[]) => void;
  /**
   * Device proofs (PresenceIdentities.ts): peers whose proof failed are not
   * listed, verified ones carry their fingerprint, unproven ones the reason
   * (re-read when a verdict arrives or a proof runs out of its window), and a
   * new name goes out with its proof. Absent: presence as in y-webrtc (tests
   * of other parts).
   */
  identities?: PresenceIdentities;
}

export class PresenceLink {
  private readonly disposers: Array<() => void> = [];

  constructor(private readonly options: PresenceLinkOptions) {}

  start(): void {
    if (this.disposers.length > 0) return;
    const { awareness, displayName, user, peers, onPeers, identities } = this.options;
    // Awareness changes with every caret move, local or remote; the people
    // list only when someone comes, goes or renames: publish only then, so a
    // keystroke does not re-render the presence UI.
    const onAwareness = () => {
      const now = readPeers(awareness, identities ? (clientId) => identities.verdictOf(clientId) : undefined);
      if (!samePeers(now, peers())) onPeers(now);
    };
    awareness.on('change', onAwareness);
    this.disposers.push(() => awareness.off('change', onAwareness));
    this.disposers.push(
      displayName.subscribe(() => {
        user.name = displayName.get();
        // With a device key the name goes out with its new proof (PresenceIdentities); before one loaded, as is.
        if (identities?.own() != null) identities.nameChanged();
        else awareness.setLocalStateField('name', user.name);
      }),
    );
    if (identities) {
      identities.start();
      // A verdict arriving changes who is listed.
      this.disposers.push(identities.onVerdict(onAwareness), () => identities.dispose());
    }
  }

  dispose(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
  }
}
