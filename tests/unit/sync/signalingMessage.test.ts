import { describe, expect, it } from 'vitest';
import {
  MAX_CANDIDATE_CHARS,
  MAX_PEER_ID_LENGTH,
  MAX_SDP_CHARS,
  MAX_SIGNALING_FRAME_CHARS,
  PING_FRAME,
  parseSignalPayload,
  parseSignalingFrame,
  publishFrame,
  subscribeFrame,
  unsubscribeFrame,
} from '../../../src/sync/signalingMessage';

const PEER = '2f1c7a9e-0000-4000-8000-000000000001';

describe('parseSignalingFrame', () => {
  it.each([
    ['not json', null],
    ['null', null],
    ['[]', null],
    ['{"type":5}', null],
    ['{"type":"publish","topic":1,"data":"x"}', null],
    ['{"type":"publish","topic":"t"}', null],
    ['{"type":"subscribe","topics":["t"]}', null],
    // Only a publish carries a payload, whatever else a frame holds.
    ['{"type":"subscribe","topic":"t","data":"x"}', null],
    ['{"type":"pong"}', { type: 'pong' }],
    ['{"type":"publish","topic":"t","data":"x"}', { type: 'publish', topic: 't', data: 'x' }],
  ])('%s', (raw, expected) => {
    expect(parseSignalingFrame(raw)).toEqual(expected);
  });

  it('drops binary frames, and takes text frames up to exactly MAX_SIGNALING_FRAME_CHARS', () => {
    expect(parseSignalingFrame(new ArrayBuffer(4))).toBeNull();
    const frame = (length: number): string => {
      const head = '{"type":"pong","x":"';
      return `${head}${'a'.repeat(length - head.length - 2)}"}`;
    };
    expect(parseSignalingFrame(frame(MAX_SIGNALING_FRAME_CHARS))).toEqual({ type: 'pong' });
    expect(parseSignalingFrame(frame(MAX_SIGNALING_FRAME_CHARS + 1))).toBeNull();
  });

  it('writes the frames y-webrtc writes', () => {
    expect(JSON.parse(subscribeFrame(['a', 'b']))).toEqual({ type: 'subscribe', topics: ['a', 'b'] });
    expect(JSON.parse(unsubscribeFrame(['a']))).toEqual({ type: 'unsubscribe', topics: ['a'] });
    expect(JSON.parse(publishFrame('a', 'ZGF0YQ=='))).toEqual({ type: 'publish', topic: 'a', data: 'ZGF0YQ==' });
    expect(JSON.parse(PING_FRAME)).toEqual({ type: 'ping' });
  });
});

describe('parseSignalPayload', () => {
  const offer = { type: 'signal', from: PEER, to: 'me', token: 1.5, signal: { type: 'offer', sdp: 'v=0' } };
  const candidate = (value: unknown) => ({ ...offer, signal: { type: 'candidate', candidate: value } });

  it.each([
    ['not an object', 'x', 'payload is not an object'],
    ['no sender', { type: 'announce' }, 'bad sender id'],
    ['huge sender id', { type: 'announce', from: 'x'.repeat(100) }, 'bad sender id'],
    ['bad recipient', { ...offer, to: 5 }, 'bad recipient id'],
    ['no recipient', { ...offer, to: undefined }, 'bad recipient id'],
    ['unknown type', { type: 'hello', from: PEER }, 'unknown payload type'],
    ['bad tab id', { type: 'announce', from: PEER, tab: 5 }, 'bad tab id'],
    ['invitation to a bad recipient id', { type: 'announce', from: PEER, to: 7 }, 'bad recipient id'],
    ['huge tab id', { type: 'announce', from: PEER, tab: 't'.repeat(MAX_PEER_ID_LENGTH + 1) }, 'bad tab id'],
    ['signal without signal', { ...offer, signal: undefined }, 'bad signal'],
    ['signal without token', { ...offer, token: undefined }, 'bad glare token'],
    ['offer without sdp', { ...offer, signal: { type: 'offer' } }, 'bad signal'],
    ['candidate without mid/index', candidate({ candidate: 'c' }), 'bad signal'],
    ['renegotiate', { ...offer, signal: { renegotiate: true } }, 'bad signal'],
  ])('refuses %s', (_name, payload, expected) => {
    expect(parseSignalPayload(payload)).toBe(expected);
  });

  it('takes announces, offers, answers and candidates, keeping only the fields it knows', () => {
    expect(parseSignalPayload({ type: 'announce', from: PEER, extra: 1 })).toEqual({ type: 'announce', from: PEER });
    expect(parseSignalPayload(offer)).toEqual(offer);
    expect(parseSignalPayload({ type: 'announce', from: PEER, tab: 'tab-1' })).toEqual({ type: 'announce', from: PEER, tab: 'tab-1' });
    // An invitation: an announce addressed to one peer.
    expect(parseSignalPayload({ type: 'announce', from: PEER, to: 'me', tab: 'tab-1' })).toEqual({ type: 'announce', from: PEER, to: 'me', tab: 'tab-1' });
    expect(parseSignalPayload({ ...offer, tab: 'tab-1' })).toEqual({ ...offer, tab: 'tab-1' });
    expect(parseSignalPayload({ ...offer, signal: { type: 'answer', sdp: 'v=0', x: 1 } })).toEqual({ ...offer, signal: { type: 'answer', sdp: 'v=0' } });
    expect(parseSignalPayload(candidate({ candidate: 'c', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'u' }))).toEqual(
      candidate({ candidate: 'c', sdpMid: '0', sdpMLineIndex: 0 }),
    );
  });

  it('takes peer ids of 1 to MAX_PEER_ID_LENGTH characters, as sender and as recipient', () => {
    const longest = 'p'.repeat(MAX_PEER_ID_LENGTH);
    expect(parseSignalPayload({ ...offer, from: longest, to: longest })).not.toBeTypeOf('string');
    expect(parseSignalPayload({ type: 'announce', from: `${longest}p` })).toBe('bad sender id');
    expect(parseSignalPayload({ type: 'announce', from: '' })).toBe('bad sender id');
    expect(parseSignalPayload({ ...offer, to: '' })).toBe('bad recipient id');
    expect(parseSignalPayload({ ...offer, to: `${longest}p` })).toBe('bad recipient id');
  });

  it('refuses glare tokens that are not finite numbers, and signals that are not objects', () => {
    for (const token of [Number.NaN, Infinity, '1', null]) expect(parseSignalPayload({ ...offer, token }), String(token)).toBe('bad glare token');
    expect(parseSignalPayload({ ...offer, token: 0 })).not.toBeTypeOf('string');
    for (const signal of [null, [], 'offer']) expect(parseSignalPayload({ ...offer, signal })).toBe('bad signal');
  });

  it('takes SDP up to MAX_SDP_CHARS, for offers and answers', () => {
    const sdp = 'v'.repeat(MAX_SDP_CHARS);
    expect(parseSignalPayload({ ...offer, signal: { type: 'offer', sdp } })).not.toBeTypeOf('string');
    expect(parseSignalPayload({ ...offer, signal: { type: 'offer', sdp: `${sdp}v` } })).toBe('bad signal');
    expect(parseSignalPayload({ ...offer, signal: { type: 'answer', sdp: `${sdp}v` } })).toBe('bad signal');
    expect(parseSignalPayload({ ...offer, signal: { type: 'answer', sdp: 5 } })).toBe('bad signal');
  });

  it('takes candidates with a string line up to MAX_CANDIDATE_CHARS and an sdpMid or an integer sdpMLineIndex', () => {
    const line = 'c'.repeat(MAX_CANDIDATE_CHARS);
    expect(parseSignalPayload(candidate({ candidate: line, sdpMid: '0' }))).not.toBeTypeOf('string');
    expect(parseSignalPayload(candidate({ candidate: 'c', sdpMLineIndex: 0 }))).not.toBeTypeOf('string');
    expect(parseSignalPayload(candidate({ candidate: 'c', sdpMid: null, sdpMLineIndex: 2 }))).not.toBeTypeOf('string');
    for (const bad of [
      { candidate: `${line}c`, sdpMid: '0' },
      { candidate: 5, sdpMid: '0' },
      { candidate: 'c', sdpMLineIndex: 1.5 },
      { candidate: 'c', sdpMLineIndex: '0' },
      { candidate: 'c', sdpMid: 0 },
      null,
      ['c'],
    ]) {
      expect(parseSignalPayload(candidate(bad)), JSON.stringify(bad)).toBe('bad signal');
    }
  });
});
