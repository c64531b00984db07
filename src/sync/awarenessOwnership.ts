/**
 * Who may speak for which awareness client id, per data channel.
 *
 * y-protocols' awareness accepts a state for *any* client id from *any* peer,
 * and the higher clock wins: a peer that has the link could rename, recolour
 * or remove (state `null`) every other user, or pin a fake state with a
 * far-future clock so the real user's updates are ignored until it times out.
 *
 * The rule enforced here: **the first connection that presents a client id owns
 * it; entries for that id arriving on any other connection are dropped** until
 * the owning connection closes. Honest peers are unaffected: y-webrtc relays
 * every awareness change to all its peers, so a user's state reaches us both
 * directly and through relays, and whichever path came first keeps carrying
 * the same, correct updates.
 *
 * What it cannot do (no identities exist below the link: everyone with the
 * link is an equal, anonymous editor): a hostile peer can still invent new
 * client ids with any name (including a name someone else uses), and can
 * claim an id we have *not yet seen* from anyone — e.g. the id of a user who
 * joins later, if it learns that id first. It cannot take over or remove a
 * user we already know, nor our own state (peerMessage.ts strips that).
 */
/**
 * Most client ids one connection may speak for: its own and those it relays
 * (about one per connection of a full room, MAX_WEBRTC_CONNECTIONS = 20).
 */
export const MAX_CLIENTS_PER_CONNECTION = 24;

export class AwarenessOwnership<Channel extends object> {
  private readonly owners = new Map<number, Channel>();
  private readonly owned = new Map<Channel, number>();

  /**
   * `maxPerChannel`: most client ids one connection may own (default
   * {@link MAX_CLIENTS_PER_CONNECTION}); beyond it new ids from that
   * connection are refused, so one peer cannot fill everyone's presence list.
   */
  constructor(
    private readonly isOpen: (channel: Channel) => boolean,
    private readonly maxPerChannel: number = MAX_CLIENTS_PER_CONNECTION,
  ) {}

  /** True when `channel` may set the state of `clientId` (claiming it if nobody owns it and it has room). */
  claim(channel: Channel, clientId: number): boolean {
    const owner = this.owners.get(clientId);
    if (owner === channel) return true;
    if (owner !== undefined && this.isOpen(owner)) return false;
    const count = this.owned.get(channel) ?? 0;
    if (count >= this.maxPerChannel) return false;
    if (owner !== undefined) this.owned.set(owner, (this.owned.get(owner) ?? 1) - 1);
    this.owners.set(clientId, channel);
    this.owned.set(channel, count + 1);
    return true;
  }

  /** Forgets every id `channel` owned (call when it closes). */
  release(channel: Channel): void {
    for (const [clientId, owner] of this.owners) if (owner === channel) this.owners.delete(clientId);
    this.owned.delete(channel);
  }

  /** Client ids currently owned (tests). */
  get size(): number {
    return this.owners.size;
  }
}
