import { describe, expect, it } from 'vitest';
import { ChannelAuth, channelBinding, deriveChannelAuthKey, type AuthStep } from '../../../src/sync/channelAuth';

const SECRET = '__79_Pv6-fj39vX08_Lx8A';
const ROOM = 'room-b';
const LABEL = 'weft-mux-1 room-b opener-peer';
const OPENER_SDP = 'v=0\r\na=fingerprint:sha-256 AA:BB\r\n';
const ACCEPTOR_SDP = 'v=0\r\na=fingerprint:sha-256 CC:DD\r\n';
/** The binding each honest end computes for the connection between them. */
const BIND = channelBinding(OPENER_SDP, ACCEPTOR_SDP, 'opener');

/** Runs the handshake between two sides, message by message; returns each side's last step. */
const handshake = async (opener: ChannelAuth, acceptor: ChannelAuth): Promise<[AuthStep, AuthStep]> => {
  const [toAcceptor, toOpener] = [opener.hello(), acceptor.hello()];
  const [a1, b1] = await Promise.all([opener.receive(toOpener), acceptor.receive(toAcceptor)]);
  if (a1.kind !== 'send' || b1.kind !== 'send') return [a1, b1];
  return Promise.all([opener.receive(b1.message), acceptor.receive(a1.message)]);
};

describe('ChannelAuth', () => {
  it('a relay between two real holders over two connections fails: the proofs are bound to each connection', async () => {
    // Mallory sits between Vera (opener, connection V–M) and Hugo (acceptor, connection M–H) and relays every byte.
    const key = await deriveChannelAuthKey(SECRET, ROOM);
    const MALLORY_SDP_1 = 'v=0\r\na=fingerprint:sha-256 11:11\r\n';
    const MALLORY_SDP_2 = 'v=0\r\na=fingerprint:sha-256 22:22\r\n';
    const vera = new ChannelAuth(key, LABEL, channelBinding(OPENER_SDP, MALLORY_SDP_1, 'opener'), 'opener');
    const hugo = new ChannelAuth(key, LABEL, channelBinding(ACCEPTOR_SDP, MALLORY_SDP_2, 'acceptor'), 'acceptor');
    expect(await handshake(vera, hugo)).toEqual([
      { kind: 'failed', reason: 'wrong proof' },
      { kind: 'failed', reason: 'wrong proof' },
    ]);
  });

  it('both ends of one connection compute the same binding from their own view of it', () => {
    expect(channelBinding(ACCEPTOR_SDP, OPENER_SDP, 'acceptor')).toBe(BIND);
    expect(BIND).toBe('sha-256 AA:BB|sha-256 CC:DD');
  });

  it('two holders of the secret both finish', async () => {
    const key = await deriveChannelAuthKey(SECRET, ROOM);
    const [opener, acceptor] = [new ChannelAuth(key, LABEL, BIND, 'opener'), new ChannelAuth(key, LABEL, BIND, 'acceptor')];
    expect(await handshake(opener, acceptor)).toEqual([{ kind: 'done' }, { kind: 'done' }]);
    expect(opener.done && acceptor.done).toBe(true);
  });

  it('a side without the secret (another note’s key) fails on both ends', async () => {
    const [key, other] = await Promise.all([deriveChannelAuthKey(SECRET, ROOM), deriveChannelAuthKey('AAAAAAAAAAAAAAAAAAAAAA', ROOM)]);
    const [opener, acceptor] = [new ChannelAuth(key, LABEL, BIND, 'opener'), new ChannelAuth(other, LABEL, BIND, 'acceptor')];
    expect(await handshake(opener, acceptor)).toEqual([
      { kind: 'failed', reason: 'wrong proof' },
      { kind: 'failed', reason: 'wrong proof' },
    ]);
  });

  it('refuses a proof made for another channel label, a reflected proof, and note messages before the proof', async () => {
    const key = await deriveChannelAuthKey(SECRET, ROOM);
    // Another label (e.g. a proof relayed from another connection).
    const [opener, elsewhere] = [new ChannelAuth(key, LABEL, BIND, 'opener'), new ChannelAuth(key, `${LABEL}x`, BIND, 'acceptor')];
    expect((await handshake(opener, elsewhere))[0]).toEqual({ kind: 'failed', reason: 'wrong proof' });
    // Reflection: the acceptor echoes the opener's own hello and proof back.
    const victim = new ChannelAuth(key, LABEL, BIND, 'opener');
    const hello = victim.hello();
    const step = await victim.receive(Uint8Array.of(hello[0]!, hello[1]!, ...hello.slice(2)));
    expect(step.kind).toBe('send');
    if (step.kind === 'send') expect(await victim.receive(step.message)).toEqual({ kind: 'failed', reason: 'wrong proof' });
    const early = new ChannelAuth(key, LABEL, BIND, 'acceptor');
    expect(await early.receive(Uint8Array.of(0, 0, 1, 0))).toMatchObject({ kind: 'failed' });
    expect(await new ChannelAuth(key, LABEL, BIND, 'acceptor').receive(Uint8Array.of(0xf5, 1, ...new Uint8Array(32)))).toEqual({
      kind: 'failed',
      reason: 'proof out of turn',
    });
  });
});
