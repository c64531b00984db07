/**
 * Which notes the relay keeps (WeftApp.sharing): a note opened from someone's link, or
 * shared from here, until "Stop sharing"; remembered in preferences across page loads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { WeftApp } from '../../../src/app/session';
import { MemoryStore } from '../../../src/storage/memory';
import { LoopbackNetwork } from '../../../src/sync/loopback';
import type { SyncRoom } from '../../../src/sync/Transport';
import { MapPreferences } from './mapPreferences';

const apps: WeftApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.destroy();
});

async function start(preferences = new MapPreferences(), rooms: SyncRoom[] = []) {
  const network = new LoopbackNetwork();
  const app = new WeftApp({
    store: new MemoryStore(),
    fallbackStore: () => new MemoryStore(),
    transports: (doc, awareness, room) => {
      rooms.push(room);
      return network.join(doc, awareness, room);
    },
    preferences,
  });
  await app.start();
  apps.push(app);
  return app;
}

describe('WeftApp.sharing', () => {
  it('a note of ours is not shared until shared; Stop sharing turns it off again; remembered', async () => {
    const preferences = new MapPreferences();
    const app = await start(preferences);
    const noteId = await app.index.create();
    expect(app.sharing(noteId).shared()).toBe(false);
    app.sharing(noteId).set(true);
    expect(app.sharing(noteId).shared()).toBe(true);
    const again = await start(preferences);
    expect(again.sharing(noteId).shared()).toBe(true);
    again.sharing(noteId).set(false);
    expect(again.sharing(noteId).shared()).toBe(false);
  });

  it('a note opened from a link is shared, unless sharing was stopped here', async () => {
    const app = await start();
    const noteId = 'AAECAwQFBgcICQoLDA0ODw';
    await app.index.addShared(noteId, '__79_Pv6-fj39vX08_Lx8A');
    expect(app.sharing(noteId).shared()).toBe(true);
    app.sharing(noteId).set(false);
    expect(app.sharing(noteId).shared()).toBe(false);
  });

  it('hands the flag to the transport factory with the room', async () => {
    const rooms: SyncRoom[] = [];
    const app = await start(new MapPreferences(), rooms);
    const noteId = await app.index.create();
    const secret = (await app.index.get(noteId))?.secret ?? '';
    const doc = new Y.Doc();
    const transport = app.connect(doc, new Awareness(doc), noteId, secret);
    expect(rooms[0]?.sharing?.shared()).toBe(false);
    app.sharing(noteId).set(true);
    expect(rooms[0]?.sharing?.shared()).toBe(true);
    transport.destroy();
  });
});
