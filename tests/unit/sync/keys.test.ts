import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROOM_NAME_DOMAIN, ROOM_NAME_LENGTH, deriveRoomName, roomPassword } from '../../../src/sync/keys';

const ID = 'AAECAwQFBgcICQoLDA0ODw';
const SECRET = '__79_Pv6-fj39vX08_Lx8A';

describe('deriveRoomName', () => {
  it('is base64url(SHA-256("weft/room/v1" 0x00 id 0x00 secret)) as documented', async () => {
    const expected = createHash('sha256')
      .update(`${ROOM_NAME_DOMAIN}\u0000${ID}\u0000${SECRET}`, 'utf8')
      .digest('base64url');
    const name = await deriveRoomName(ID, SECRET);
    expect(name).toBe(expected);
    expect(name).toHaveLength(ROOM_NAME_LENGTH);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('is deterministic and differs with id or secret', async () => {
    const a = await deriveRoomName(ID, SECRET);
    expect(await deriveRoomName(ID, SECRET)).toBe(a);
    expect(await deriveRoomName(ID.replace('A', 'B'), SECRET)).not.toBe(a);
    expect(await deriveRoomName(ID, SECRET.replace('_', 'A'))).not.toBe(a);
    // Swapping the parts must not collide either.
    expect(await deriveRoomName(SECRET, ID)).not.toBe(a);
  });

  it('contains no substring of the id or the secret', async () => {
    const name = await deriveRoomName(ID, SECRET);
    for (const part of [ID, SECRET]) {
      for (let i = 0; i + 6 <= part.length; i++) expect(name).not.toContain(part.slice(i, i + 6));
    }
  });

  it('uses the secret verbatim as the y-webrtc password', () => {
    expect(roomPassword(SECRET)).toBe(SECRET);
  });
});
