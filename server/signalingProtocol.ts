/**
 * The y-webrtc signaling protocol (as spoken by y-webrtc 10.3 clients), as pure functions:
 * a text frame goes in, a typed message or a protocol error comes out. No sockets here, so
 * every rule is unit-testable.
 *
 * Client → server frames (JSON text):
 *   {type:'subscribe',   topics: string[]}
 *   {type:'unsubscribe', topics: string[]}
 *   {type:'publish',     topic: string, ...anything}   relayed to every subscriber, sender included,
 *                                                      with `clients: <subscriber count>` added
 *   {type:'ping'}                                      answered with {type:'pong'}
 *
 * Server → client frames: relayed publishes, pongs, and
 *   {type:'refused', topic: string, reason: string}    one per topic of a subscribe that was
 *                                                      not added (room full, a quota reached);
 *                                                      the connection stays. y-webrtc ignores
 *                                                      frame types it does not know.
 */
import type { SignalingLimits } from './signalingLimits.js';

/** WebSocket close code (RFC 6455): the server is going away (shutdown). */
export const CLOSE_GOING_AWAY = 1001;
/** WebSocket close code: the endpoint received a type of data it cannot accept (binary). */
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** WebSocket close code: a message violated the server's policy (bad shape, limits, rate). */
export const CLOSE_POLICY_VIOLATION = 1008;
/** WebSocket close code: the server hit an unexpected condition handling this connection. */
export const CLOSE_INTERNAL_ERROR = 1011;

/** The `type` of the server's answer to a topic it did not subscribe a client to. */
export const REFUSED_TYPE = 'refused';

/** The pong reply, pre-serialized: it never varies. */
export const PONG_FRAME = '{"type":"pong"}';

/** A validated client message. */
export type SignalingMessage =
  | { type: 'subscribe'; topics: string[] }
  | { type: 'unsubscribe'; topics: string[] }
  | {
      type: 'publish';
      topic: string;
      /** The whole parsed frame, relayed as is (plus `clients`). */
      frame: Record<string, unknown>;
    }
  | { type: 'ping' };

/**
 * Why a frame was refused: a close code and a short, fixed reason. The reason never echoes
 * anything from the frame, so it is safe to log and to send back.
 */
export interface ProtocolError {
  code: number;
  reason: string;
}

/** The outcome of parsing one frame. */
export type ParseResult = { ok: true; message: SignalingMessage } | { ok: false; error: ProtocolError };

/** The limits the parser itself enforces. */
export type ParserLimits = Pick<SignalingLimits, 'maxTopicLength' | 'maxTopicsPerConnection' | 'maxJsonDepth'>;

const fail = (reason: string, code: number = CLOSE_POLICY_VIOLATION): ParseResult => ({
  ok: false,
  error: { code, reason },
});

/** The error for binary frames: the protocol is JSON text only. */
export const BINARY_FRAME_ERROR: Readonly<ProtocolError> = Object.freeze({
  code: CLOSE_UNSUPPORTED_DATA,
  reason: 'binary frames not accepted',
});

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isValidTopic = (t: unknown, maxLength: number): t is string =>
  typeof t === 'string' && t.length > 0 && t.length <= maxLength;

/**
 * Whether `value` nests deeper than `maxDepth` arrays/objects. Iterative on purpose: a
 * 64 KiB frame of `[[[[…` parses fine but would overflow a recursive walk — and
 * `JSON.stringify` on the relay path — so such frames are refused before they get there.
 */
export function exceedsJsonDepth(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

function parseTopics(frame: Record<string, unknown>, limits: ParserLimits): string[] | ProtocolError {
  const topics = frame.topics;
  if (!Array.isArray(topics)) return { code: CLOSE_POLICY_VIOLATION, reason: 'topics must be an array' };
  // More topics in one frame than one connection may ever hold can only be abuse.
  if (topics.length > limits.maxTopicsPerConnection) {
    return { code: CLOSE_POLICY_VIOLATION, reason: 'too many topics' };
  }
  for (const t of topics) {
    if (!isValidTopic(t, limits.maxTopicLength)) return { code: CLOSE_POLICY_VIOLATION, reason: 'invalid topic' };
  }
  return topics as string[];
}

/**
 * Parses and validates one text frame. Never throws. Anything that is not valid JSON, not
 * an object, of an unknown `type`, too deeply nested or of the wrong shape is an error; the
 * caller closes the connection with the error's code and reason.
 */
export function parseSignalingFrame(text: string, limits: ParserLimits): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The SyntaxError's message quotes the input: deliberately dropped.
    return fail('invalid JSON', CLOSE_UNSUPPORTED_DATA);
  }
  if (!isPlainObject(value)) return fail('frame must be an object');
  if (exceedsJsonDepth(value, limits.maxJsonDepth)) return fail('frame nested too deeply');
  switch (value.type) {
    case 'subscribe':
    case 'unsubscribe': {
      const topics = parseTopics(value, limits);
      if (!Array.isArray(topics)) return { ok: false, error: topics };
      return { ok: true, message: { type: value.type, topics } };
    }
    case 'publish': {
      if (!isValidTopic(value.topic, limits.maxTopicLength)) return fail('invalid topic');
      return { ok: true, message: { type: 'publish', topic: value.topic, frame: value } };
    }
    case 'ping':
      return { ok: true, message: { type: 'ping' } };
    default:
      return fail('unknown message type');
  }
}

/**
 * Serializes a publish frame for relaying: the sender's frame verbatim, with `clients` set
 * to the topic's subscriber count as y-webrtc's reference server does (any `clients` the
 * sender put there is overwritten). Serialized once and sent to every receiver.
 */
export function encodePublish(frame: Record<string, unknown>, clients: number): string {
  return JSON.stringify({ ...frame, clients });
}

/**
 * Serializes the answer to a refused subscribe for one `topic` (the client's own topic,
 * echoed so it knows which room; `reason` is one of the server's fixed strings).
 */
export function encodeRefusal(topic: string, reason: string): string {
  return JSON.stringify({ type: REFUSED_TYPE, topic, reason });
}
