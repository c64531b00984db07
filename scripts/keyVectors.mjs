// Writes tests/fixtures/keys-v2-vectors.json: the keys issue's derivations and signatures
// (README, "Keys and capabilities"), computed with node:crypto only — no Weft code — so a third
// party can redo them from the README alone. tests/unit/sync/keyVectors.test.ts checks Weft's
// implementation against the file and the file against this recipe.
//   node scripts/keyVectors.mjs            (prints the JSON)
//   node scripts/keyVectors.mjs --write    (writes the fixture)
import { createHash, createPrivateKey, createPublicKey, hkdfSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const hex = (bytes) => Buffer.from(bytes).toString('hex');
const utf8 = (text) => Buffer.from(text, 'utf8');
const ZERO = Buffer.of(0);
const hkdf = (ikm, info) => Buffer.from(hkdfSync('sha256', ikm, utf8('weft/v2'), utf8(info), 32));
const sha256 = (...parts) => createHash('sha256').update(Buffer.concat(parts)).digest();
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A y-webrtc sync message: 0x00, sync type, varUint8Array(update). */
const syncMessage = (syncType, update) => {
  const length = [];
  let n = update.length;
  while (n > 0x7f) {
    length.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  length.push(n);
  return Buffer.concat([Buffer.of(0, syncType, ...length), update]);
};

export function vector(noteId, secret, update) {
  const s = Buffer.from(secret, 'base64url');
  const seed = hkdf(s, 'weft/v2/sign');
  const readKey = hkdf(s, 'weft/v2/read');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url');
  const roomId = b64u(sha256(utf8('weft/room/v2'), ZERO, utf8(noteId), ZERO, publicKey));
  const relayRoomId = b64u(sha256(utf8('weft/relay-room/v2'), ZERO, publicKey));
  const password = b64u(hkdf(readKey, 'weft/v2/signal'));
  const message = syncMessage(2, update);
  const signedInput = Buffer.concat([utf8('weft/update/v2'), ZERO, utf8(roomId), ZERO, message]);
  const signature = sign(null, signedInput, privateKey);
  return {
    noteId,
    secret,
    seed: hex(seed),
    readKey: b64u(readKey),
    publicKey: b64u(publicKey),
    roomId,
    relayRoomId,
    signalingPassword: password,
    editLink: `https://weft.example/#/share/v2/${noteId}/edit/${secret}`,
    viewLink: `https://weft.example/#/share/v2/${noteId}/view/${b64u(readKey)}/${b64u(publicKey)}`,
    v1Link: `https://weft.example/#/share/v1/${noteId}/${secret}`,
    update: { yjsUpdate: hex(update), message: hex(message), signedInput: hex(signedInput), signature: hex(signature), signed: hex(Buffer.concat([Buffer.of(0xf6, 0x01), signature, message])) },
  };
}

/**
 * A device key and its presence proofs (README, "Device keys and presence"): the device's Ed25519
 * key from a fixed seed (real devices generate theirs in WebCrypto and never export it), its
 * fingerprint, its proof of being awareness client `clientId` of `noteId` under `name` at `time`
 * (version 2, what Weft sends), and the version 1 proof older Weft sends (no time; Weft now lists
 * such a peer as not proven).
 */
export function deviceVector(deviceSeed, noteId, clientId, name, time) {
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, Buffer.from(deviceSeed, 'hex')]), format: 'der', type: 'pkcs8' });
  const publicKey = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url');
  const digest = sha256(publicKey).subarray(0, 8).toString('hex').toUpperCase();
  const v1Input = Buffer.concat([utf8('weft/presence/v1'), ZERO, utf8(noteId), ZERO, utf8(String(clientId)), ZERO, utf8(name)]);
  const v2Input = Buffer.concat([utf8('weft/presence/v2'), ZERO, utf8(noteId), ZERO, utf8(String(clientId)), ZERO, utf8(String(time)), ZERO, utf8(name)]);
  return {
    deviceSeed,
    publicKey: b64u(publicKey),
    fingerprint: digest.match(/.{4}/g).join(' '),
    presenceV2: {
      noteId,
      clientId,
      time,
      name,
      proofInput: hex(v2Input),
      deviceProof: { key: b64u(publicKey), time, sig: b64u(sign(null, v2Input, privateKey)) },
    },
    presence: { noteId, clientId, name, proofInput: hex(v1Input), device: { key: b64u(publicKey), sig: b64u(sign(null, v1Input, privateKey)) } },
  };
}

/** Two notes; the updates are real Yjs v1 updates (client 10 inserting "x" into text "t"; an empty update). */
export const keyVectors = () => ({
  about:
    'Weft keys v2 test vectors (issue 17). Recipe: README, "Keys and capabilities" and "Device keys and presence" (presenceV2: what Weft sends; presence: the version 1 proof of older Weft, not believed any more). Hex unless the field is a base64url key or id; times are ms since 1970.',
  vectors: [
    vector('AAECAwQFBgcICQoLDA0ODw', '__79_Pv6-fj39vX08_Lx8A', Buffer.from('01010a0004010174017800', 'hex')),
    vector('EBESExQVFhcYGRobHB0eHw', 'AAAAAAAAAAAAAAAAAAAAAA', Buffer.from('0000', 'hex')),
  ],
  devices: [
    deviceVector('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'AAECAwQFBgcICQoLDA0ODw', 1234567890, 'Alice', 1796083200000),
    deviceVector('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', 'EBESExQVFhcYGRobHB0eHw', 7, 'Zoë 👋', 1796083212345),
  ],
});

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = `${JSON.stringify(keyVectors(), null, 2)}\n`;
  if (process.argv.includes('--write')) writeFileSync(new URL('../tests/fixtures/keys-v2-vectors.json', import.meta.url), json);
  else process.stdout.write(json);
}
