import { describe, expect, it } from 'vitest';
import { prefetchingRelayClient, type RelayClient, type RelayPage } from '../../../src/sync/relayClient';

const page = (head: number): RelayPage => ({ head, count: head, compactAfter: 50, more: false, blobs: [] });

/** A client that counts reads and answers each with the room's current head. */
const counting = () => {
  const reads: Array<[string, number]> = [];
  let head = 1;
  const client: RelayClient = {
    read: (roomId, after) => {
      reads.push([roomId, after]);
      return Promise.resolve(page(head));
    },
    write: () => Promise.resolve(++head),
    deleteRoom: () => Promise.resolve(),
  };
  return { client, reads, bump: () => head++ };
};

describe('prefetchingRelayClient', () => {
  it('answers the first read from the beginning with the prefetched page, once', async () => {
    const { client, reads, bump } = counting();
    const relay = prefetchingRelayClient(client);
    relay.prefetch('room');
    relay.prefetch('room'); // a second prefetch of the same room reads nothing more
    bump();
    expect(await relay.read('room', 0)).toEqual(page(1)); // the prefetched answer
    expect(await relay.read('room', 0)).toEqual(page(2)); // asked again
    expect(reads).toEqual([
      ['room', 0],
      ['room', 0],
    ]);
  });

  it('reads after a cursor and other rooms as usual', async () => {
    const { client, reads } = counting();
    const relay = prefetchingRelayClient(client);
    relay.prefetch('room');
    await relay.read('room', 5);
    await relay.read('other', 0);
    expect(reads).toEqual([
      ['room', 0],
      ['room', 5],
      ['other', 0],
    ]);
  });
});
