/**
 * Every bound the signaling server enforces, named once. The defaults are sized for
 * y-webrtc clients (a few rooms per tab, a burst of offers/answers/ICE candidates when
 * peers meet) with generous headroom; tests override them through `SignalingLimits`.
 */

/** Largest accepted WebSocket frame. An encrypted SDP offer is a few KiB; 64 KiB is ample. */
export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Fragments one message may arrive in. Browsers send a signaling message as one frame;
 * thousands of tiny fragments only cost the server bookkeeping (`ws` allows 16384).
 */
export const MAX_FRAGMENTS = 128;
/**
 * Network chunks `ws` may hold while a frame is incomplete. A frame trickled in byte by
 * byte would otherwise keep up to 256 Ki small Buffers alive per connection.
 */
export const MAX_BUFFERED_CHUNKS = 4096;
/** Longest topic name. Weft topics are hex/base64url hashes (< 100 chars). */
export const MAX_TOPIC_LENGTH = 256;
/**
 * Topics one connection may hold at once (a y-webrtc tab shares one socket between all its
 * rooms); further topics are refused, the connection stays.
 */
export const MAX_TOPICS_PER_CONNECTION = 64;
/**
 * Subscriptions all the connections of one client address may hold together, so that one
 * address cannot fill the server-wide table (`MAX_TOTAL_TOPICS`): with these defaults that
 * takes at least 49 addresses. Ample for a household or small office behind one NAT.
 */
export const MAX_TOPICS_PER_ADDRESS = 1_024;
/** Distinct topics across the whole server; bounds the registry's memory. */
export const MAX_TOTAL_TOPICS = 50_000;
/**
 * Subscribers of one topic; bounds the fan-out (amplification) of a single publish. A
 * newcomer to a full topic is refused that topic only.
 */
export const MAX_SUBSCRIBERS_PER_TOPIC = 256;
/** Open signaling connections across the server; further upgrades get 503. */
export const MAX_CONNECTIONS = 5_000;
/**
 * Open signaling connections from one client address (see `clientAddress.ts`: behind a
 * reverse proxy set `TRUST_PROXY`, or every client shares the proxy's quota); further
 * upgrades get 429. A tab opens one per signaling server, so 64 covers many tabs and
 * devices behind one NAT while 79 addresses are needed to fill `MAX_CONNECTIONS`.
 */
export const MAX_CONNECTIONS_PER_ADDRESS = 64;
/** Token bucket size: messages a connection may send in a burst. */
export const RATE_LIMIT_BURST = 100;
/** Token bucket refill: sustained messages per second per connection. */
export const RATE_LIMIT_PER_SECOND = 50;
/** How often the server pings; a connection that has not ponged since the last ping is dropped. */
export const PING_INTERVAL_MS = 30_000;
/** A receiver whose send buffer exceeds this is too slow to keep up and is dropped. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Deepest JSON nesting accepted in a frame; y-webrtc messages nest about 4 levels. */
export const MAX_JSON_DEPTH = 16;
/** How long a closing WebSocket may take to finish the close handshake before it is cut. */
export const CLOSE_GRACE_MS = 2_000;

/** The limits one signaling server runs with. */
export interface SignalingLimits {
  maxFrameBytes: number;
  maxFragments: number;
  maxBufferedChunks: number;
  maxTopicLength: number;
  maxTopicsPerConnection: number;
  maxTopicsPerAddress: number;
  maxTotalTopics: number;
  maxSubscribersPerTopic: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  rateLimitBurst: number;
  rateLimitPerSecond: number;
  pingIntervalMs: number;
  maxBufferedBytes: number;
  maxJsonDepth: number;
  closeGraceMs: number;
}

/** The production limits. */
export const DEFAULT_SIGNALING_LIMITS: Readonly<SignalingLimits> = Object.freeze({
  maxFrameBytes: MAX_FRAME_BYTES,
  maxFragments: MAX_FRAGMENTS,
  maxBufferedChunks: MAX_BUFFERED_CHUNKS,
  maxTopicLength: MAX_TOPIC_LENGTH,
  maxTopicsPerConnection: MAX_TOPICS_PER_CONNECTION,
  maxTopicsPerAddress: MAX_TOPICS_PER_ADDRESS,
  maxTotalTopics: MAX_TOTAL_TOPICS,
  maxSubscribersPerTopic: MAX_SUBSCRIBERS_PER_TOPIC,
  maxConnections: MAX_CONNECTIONS,
  maxConnectionsPerAddress: MAX_CONNECTIONS_PER_ADDRESS,
  rateLimitBurst: RATE_LIMIT_BURST,
  rateLimitPerSecond: RATE_LIMIT_PER_SECOND,
  pingIntervalMs: PING_INTERVAL_MS,
  maxBufferedBytes: MAX_BUFFERED_BYTES,
  maxJsonDepth: MAX_JSON_DEPTH,
  closeGraceMs: CLOSE_GRACE_MS,
});
