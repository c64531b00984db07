import { describe, expect, it } from 'vitest';
import {
  CLOSE_POLICY_VIOLATION,
  CLOSE_UNSUPPORTED_DATA,
  encodePublish,
  encodeRefusal,
  exceedsJsonDepth,
  parseSignalingFrame,
} from '../../../server/signalingProtocol.js';
import { DEFAULT_SIGNALING_LIMITS } from '../../../server/signalingLimits.js';

const limits = DEFAULT_SIGNALING_LIMITS;
const parse = (text: string) => parseSignalingFrame(text, limits);

describe('parseSignalingFrame', () => {
  it('accepts the four y-webrtc message types', () => {
    expect(parse('{"type":"subscribe","topics":["a","b"]}')).toEqual({
      ok: true,
      message: { type: 'subscribe', topics: ['a', 'b'] },
    });
    // y-webrtc subscribes with an empty list when it connects with no rooms open.
    expect(parse('{"type":"subscribe","topics":[]}')).toEqual({ ok: true, message: { type: 'subscribe', topics: [] } });
    expect(parse('{"type":"unsubscribe","topics":["a"]}')).toEqual({
      ok: true,
      message: { type: 'unsubscribe', topics: ['a'] },
    });
    expect(parse('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
    const frame = { type: 'publish', topic: 't', data: { to: 'x', signal: { type: 'offer', sdp: 'v=0' } } };
    expect(parse(JSON.stringify(frame))).toEqual({ ok: true, message: { type: 'publish', topic: 't', frame } });
  });

  it.each([
    ['not JSON', 'hello', CLOSE_UNSUPPORTED_DATA],
    ['truncated JSON', '{"type":"ping"', CLOSE_UNSUPPORTED_DATA],
    ['empty frame', '', CLOSE_UNSUPPORTED_DATA],
    ['null', 'null', CLOSE_POLICY_VIOLATION],
    ['a number', '42', CLOSE_POLICY_VIOLATION],
    ['a string', '"ping"', CLOSE_POLICY_VIOLATION],
    ['an array', '[{"type":"ping"}]', CLOSE_POLICY_VIOLATION],
    ['no type', '{"topics":["a"]}', CLOSE_POLICY_VIOLATION],
    ['unknown type', '{"type":"announce"}', CLOSE_POLICY_VIOLATION],
    ['type not a string', '{"type":["ping"]}', CLOSE_POLICY_VIOLATION],
    ['topics missing', '{"type":"subscribe"}', CLOSE_POLICY_VIOLATION],
    ['topics a string', '{"type":"subscribe","topics":"a"}', CLOSE_POLICY_VIOLATION],
    ['topic not a string', '{"type":"subscribe","topics":[1]}', CLOSE_POLICY_VIOLATION],
    ['empty topic', '{"type":"unsubscribe","topics":[""]}', CLOSE_POLICY_VIOLATION],
    ['publish without topic', '{"type":"publish","data":1}', CLOSE_POLICY_VIOLATION],
    ['publish with object topic', '{"type":"publish","topic":{}}', CLOSE_POLICY_VIOLATION],
  ])('refuses %s', (_name, text, code) => {
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('refuses topics longer than the limit and more topics than a connection may hold', () => {
    const long = 'x'.repeat(limits.maxTopicLength + 1);
    expect(parse(JSON.stringify({ type: 'subscribe', topics: ['x'.repeat(limits.maxTopicLength)] })).ok).toBe(true);
    expect(parse(JSON.stringify({ type: 'subscribe', topics: [long] })).ok).toBe(false);
    expect(parse(JSON.stringify({ type: 'publish', topic: long })).ok).toBe(false);
    const many = Array.from({ length: limits.maxTopicsPerConnection + 1 }, (_, i) => `t${i}`);
    expect(parse(JSON.stringify({ type: 'subscribe', topics: many }))).toEqual({
      ok: false,
      error: { code: CLOSE_POLICY_VIOLATION, reason: 'too many topics' },
    });
  });

  it('refuses deeply nested frames (which would overflow JSON.stringify on relay)', () => {
    const deep = '{"type":"publish","topic":"t","data":' + '['.repeat(20_000) + ']'.repeat(20_000) + '}';
    expect(parse(deep)).toEqual({ ok: false, error: { code: CLOSE_POLICY_VIOLATION, reason: 'frame nested too deeply' } });
  });

  it('never echoes frame contents in the error reason', () => {
    const secret = 'SECRET-in-the-frame';
    for (const text of [secret, `{"type":"${secret}"}`, `{"type":"subscribe","topics":"${secret}"}`]) {
      const r = parse(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.reason).not.toContain('SECRET');
    }
  });

  it('keeps __proto__ keys as plain data', () => {
    const r = parse('{"type":"publish","topic":"t","__proto__":{"polluted":true}}');
    expect(r.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('exceedsJsonDepth', () => {
  it('counts nesting levels of objects and arrays', () => {
    expect(exceedsJsonDepth('x', 0)).toBe(false);
    expect(exceedsJsonDepth({ a: [1] }, 2)).toBe(false);
    expect(exceedsJsonDepth({ a: [1] }, 1)).toBe(true);
    expect(exceedsJsonDepth({ a: { b: { c: {} } } }, 3)).toBe(true);
  });
});

describe('encodePublish', () => {
  it('relays the frame verbatim with the subscriber count, overwriting a sender-supplied count', () => {
    const frame = { type: 'publish', topic: 't', data: 'b64', clients: 999 };
    expect(JSON.parse(encodePublish(frame, 2))).toEqual({ type: 'publish', topic: 't', data: 'b64', clients: 2 });
  });
});

describe('encodeRefusal', () => {
  it("names the refused topic (safely escaped) and the server's reason", () => {
    const topic = 'room "quoted" \\ </script>';
    expect(JSON.parse(encodeRefusal(topic, 'topic full'))).toEqual({ type: 'refused', topic, reason: 'topic full' });
  });
});
