/* global window, document, DataTransfer, ClipboardEvent, MutationObserver, IDBFactory, RTCDataChannel */
/**
 * Scenarios 3 and 5, on the app as built (`dist/` + `build/server/main.js`): peers are separate
 * Chromium *processes* on their own profiles (nothing shared: sync goes through our signaling
 * server and WebRTC on loopback), granted camera/microphone so WebRTC gathers host candidates.
 *
 * 3. Peer latency: a keystroke typed on A (trusted input) → the first DOM mutation in the other
 *    peer's editor, one keystroke at a time (the next is typed once the peer changed). Times are
 *    `performance.timeOrigin + now()` in each process — the same system clock, so A's keydown and
 *    the peer's mutation compare directly. Notes: a small one; the automerge-paper note (the
 *    issue's "large note": 105k characters, 1,173 paragraphs, the whole editing history; typed at
 *    its end and inside its middle paragraph) — the targets apply to these; and, as a stress row,
 *    the 1 MB note the paste leaves (14,000 paragraphs).
 * 5. Large paste: a ~1 MB plain-text paste on A (a `paste` ClipboardEvent through Lexical, as a
 *    browser does) → B's editor holds every pasted paragraph; connections must survive it. Split
 *    into sender (paste → the Yjs update's first frame handed to the data channel), transfer (that
 *    → its last frame received on B) and receiver (that → B's DOM shows the last line).
 *    Initial sync: A imports a backup holding a note with the whole automerge-paper history (made
 *    by the bench harness through the real editor); a new peer C opens its share link; measured
 *    in C from navigation start (and from "connected") until its editor shows the whole note, with
 *    a timeline of where the time before that goes (page, storage, transport chunk, signaling,
 *    WebRTC handshake, sync messages).
 *
 * The milestones come from {@link installProbe}, an init script that only *observes* the page's
 * WebSocket, RTCPeerConnection/RTCDataChannel, IndexedDB and WebCrypto calls (no app changes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { LAUNCH_OPTIONS } from '../../scripts/chromium.mjs';
import { startAppServer } from './coldStart.mjs';

export const EDITOR = '[contenteditable="true"][aria-label="Note"]';
/** Characters of prose per pasted line (after its 7-character number): ~76 bytes a line, as before. */
const PASTE_LINE_CHARS = 69;

/**
 * The text of a paste: `count` lines, each its number (from `first`, six digits and a space, so
 * the last line can be recognised) and the next 69 characters of `prose` — real text, so that
 * compression of the update (compression.ts) gains what it would on a real paste (~3.5x), not what
 * it gains on a line repeated 14,000 times (~10x). The prose repeats every ~100 KB, beyond
 * deflate's 32 KB window.
 */
export function pasteText(first, count, prose) {
  const lines = [];
  const span = prose.length - PASTE_LINE_CHARS;
  for (let i = 0; i < count; i++) {
    const at = (i * PASTE_LINE_CHARS) % span;
    lines.push(`${String(first + i).padStart(6, '0')} ${prose.slice(at, at + PASTE_LINE_CHARS)}`);
  }
  return lines.join('\n');
}

/**
 * Runs in every peer page before its scripts. Records absolute times (`timeOrigin + now()`) of:
 * WebSockets (created, open, frames sent and received, by JSON `type`), peer connections (created,
 * offer/answer, candidates, state changes, data channel open), framed data-channel messages sent and
 * received (first and last frame, by message id; chunking.ts's 0xF1 header), IndexedDB opens,
 * WebCrypto digest/deriveKey, and the first time the note editor and each sync status text appear.
 */
function installProbe() {
  const now = () => performance.timeOrigin + performance.now();
  const LIMIT = 400;
  const RAW_LIMIT = 20_000;
  const probe = { ws: [], pcs: [], sent: {}, recv: {}, rawSent: [], rawRecv: [], idb: [], crypto: [], ui: [] };
  window.__weftProbe = probe;
  const push = (list, item) => {
    if (list.length < LIMIT) list.push(item);
  };
  const typeOf = (data) => (typeof data === 'string' ? (/"type":"(\w+)"/.exec(data.slice(0, 64))?.[1] ?? '?') : 'binary');

  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      const rec = { url: String(url), created: now(), open: null, sent: [], recv: [] };
      this.__probe = rec;
      probe.ws.push(rec);
      this.addEventListener('open', () => (rec.open = now()));
      this.addEventListener('message', (e) => push(rec.recv, [now(), typeOf(e.data)]));
    }
    send(data) {
      if (this.__probe) push(this.__probe.sent, [now(), typeOf(data)]);
      return super.send(data);
    }
  };

  const channelIds = new WeakMap();
  let nextChannel = 0;
  const channelId = (c) => {
    let id = channelIds.get(c);
    if (id === undefined) channelIds.set(c, (id = nextChannel++));
    return id;
  };
  const frame = (table, channel, bytes) => {
    const t = now();
    if (bytes.byteLength < 13 || bytes[0] !== 0xf1) {
      // Unframed y-webrtc message: [time, bytes, message type, sync message type].
      const raw = table === probe.sent ? probe.rawSent : probe.rawRecv;
      if (raw.length < RAW_LIMIT) raw.push([t, bytes.byteLength, bytes[0], bytes[1]]);
      return;
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const key = `${channelId(channel)}:${view.getUint32(1)}`;
    const m = (table[key] ??= { first: t, last: t, frames: 0, count: view.getUint32(9), bytes: 0, times: [] });
    m.last = t;
    if (m.times.length < 256) m.times.push(t);
    m.frames++;
    m.bytes += bytes.byteLength;
  };
  const nativeSend = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function send(data) {
    if (data instanceof Uint8Array) frame(probe.sent, this, data);
    else if (data instanceof ArrayBuffer) frame(probe.sent, this, new Uint8Array(data));
    return nativeSend.call(this, data);
  };

  const NativePeerConnection = window.RTCPeerConnection;
  if (NativePeerConnection) {
    window.RTCPeerConnection = class extends NativePeerConnection {
      constructor(config) {
        super(config);
        const rec = { created: now(), events: [] };
        probe.pcs.push(rec);
        this.__event = (name) => push(rec.events, [name, now()]);
        const watch = (channel) => {
          channel.addEventListener('open', () => this.__event('channel open'));
          channel.addEventListener('message', (e) => {
            if (e.data instanceof ArrayBuffer) frame(probe.recv, channel, new Uint8Array(e.data));
          });
        };
        this.__watch = watch;
        this.addEventListener('icecandidate', (e) => this.__event(e.candidate ? 'local candidate' : 'candidates done'));
        this.addEventListener('connectionstatechange', () => this.__event(`connection ${this.connectionState}`));
        this.addEventListener('datachannel', (e) => watch(e.channel));
      }
      createDataChannel(label, init) {
        const channel = super.createDataChannel(label, init);
        this.__watch(channel);
        return channel;
      }
      createOffer(...args) {
        this.__event('createOffer');
        return super.createOffer(...args);
      }
      createAnswer(...args) {
        this.__event('createAnswer');
        return super.createAnswer(...args);
      }
      setLocalDescription(description, ...rest) {
        this.__event(`setLocalDescription ${description?.type ?? ''}`);
        return super.setLocalDescription(description, ...rest);
      }
      setRemoteDescription(description, ...rest) {
        this.__event(`setRemoteDescription ${description?.type ?? ''}`);
        return super.setRemoteDescription(description, ...rest);
      }
      addIceCandidate(candidate, ...rest) {
        this.__event('addIceCandidate');
        return super.addIceCandidate(candidate, ...rest);
      }
    };
  }

  const nativeOpen = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function open(...args) {
    const rec = { name: String(args[0]), start: now(), success: null };
    push(probe.idb, rec);
    const request = nativeOpen.apply(this, args);
    request.addEventListener('success', () => (rec.success = now()));
    return request;
  };
  for (const name of ['digest', 'deriveKey']) {
    const native = SubtleCrypto.prototype[name];
    SubtleCrypto.prototype[name] = function wrapped(...args) {
      const rec = { name, start: now(), end: null };
      push(probe.crypto, rec);
      const result = native.apply(this, args);
      void result.then(() => (rec.end = now()), () => (rec.end = now()));
      return result;
    };
  }

  // The editor's first appearance and each sync status text, until "Connected" (then the
  // observer stops: it must not run during the latency measurements).
  let editorSeen = false;
  let status = '';
  const observer = new MutationObserver(() => {
    if (!editorSeen && document.querySelector('[contenteditable="true"][aria-label="Note"]')) {
      editorSeen = true;
      probe.ui.push(['editor shown', now()]);
    }
    const text = document.querySelector('[role="status"][aria-label="Sync status"]')?.textContent ?? '';
    if (text !== status) {
      status = text;
      probe.ui.push([`status "${text}"`, now()]);
      if (text.startsWith('Connected')) observer.disconnect();
    }
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true });
}

const syncStatus = (page) => page.getByRole('status', { name: 'Sync status' });
async function waitConnected(page, timeout = 30_000) {
  await syncStatus(page).filter({ hasText: /^Connected to 1 peer(,|$)/ }).waitFor({ timeout });
}

/** Opens the Share dialog of the note shown on `page` and returns its share link. */
export async function shareLink(page) {
  await page.getByRole('button', { name: 'Share' }).click();
  const dialog = page.getByRole('dialog');
  const input = dialog.getByRole('textbox', { name: 'Share link' });
  await page.waitForFunction(() => /#\/share\//.test(document.querySelector('dialog input')?.value ?? ''));
  const link = await input.inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  return link;
}

/** Marks keydown times on the typing page, DOM mutation times of the editor on the receiving page. */
async function instrument(sender, receiver) {
  await sender.evaluate(() => {
    window.__keys = [];
    // Once per page: the scenario instruments the same page again for other notes.
    if (window.__keysListening) return;
    window.__keysListening = true;
    window.addEventListener('keydown', (e) => window.__keys.push(performance.timeOrigin + e.timeStamp), true);
  });
  await receiver.evaluate((sel) => {
    window.__muts = [];
    window.__mutObserver?.disconnect();
    window.__mutObserver = new MutationObserver(() => window.__muts.push(performance.timeOrigin + performance.now()));
    window.__mutObserver.observe(document.querySelector(sel), { subtree: true, childList: true, characterData: true });
  }, EDITOR);
}

/**
 * Keystroke on `a` → first mutation of `b`'s editor, `n` times. Also splits each keystroke with the
 * probe: sender (keydown → the Yjs update message handed to the data channel), wire (→ received by
 * `b`'s channel) and receiver (→ the mutation). Returns `{ total, sender, wire, receiver }` (ms).
 */
async function keystrokeLatency(a, b, n) {
  await instrument(a, b);
  await a.evaluate(() => (window.__weftProbe.rawSent.length = window.__weftProbe.rawRecv.length = 0));
  await b.evaluate(() => (window.__weftProbe.rawRecv.length = 0));
  const total = [];
  const times = [];
  const chars = 'abcdefghijklmnopqrstuvwxyz ';
  for (let i = 0; i < n; i++) {
    const before = await b.evaluate(() => window.__muts.length);
    await a.keyboard.type(chars[i % chars.length]);
    await b.waitForFunction((k) => window.__muts.length > k, before, { polling: 'raf', timeout: 10_000 });
    const [key, mut] = await Promise.all([a.evaluate((j) => window.__keys[j], i), b.evaluate((k) => window.__muts[k], before)]);
    total.push(mut - key);
    times.push([key, mut]);
  }
  // y-webrtc sync update messages: type 0 (sync), sync type 2 (update).
  const isUpdate = ([, , type, syncType]) => type === 0 && syncType === 2;
  const [sent, received, backToA] = await Promise.all([
    a.evaluate(() => window.__weftProbe.rawSent).then((l) => l.filter(isUpdate)),
    b.evaluate(() => window.__weftProbe.rawRecv).then((l) => l.filter(isUpdate)),
    // Only the typist writes: any document update it receives meanwhile is its own, sent back.
    a.evaluate(() => window.__weftProbe.rawRecv).then((l) => l.filter(isUpdate)),
  ]);
  const sender = [];
  const wire = [];
  const receiver = [];
  let si = 0;
  let ri = 0;
  for (const [key, mut] of times) {
    while (si < sent.length && sent[si][0] < key) si++;
    if (si >= sent.length || sent[si][0] > mut) continue;
    const [sentAt, bytes] = sent[si];
    while (ri < received.length && (received[ri][0] < sentAt || received[ri][1] !== bytes)) ri++;
    if (ri >= received.length || received[ri][0] > mut) continue;
    sender.push(sentAt - key);
    wire.push(received[ri][0] - sentAt);
    receiver.push(mut - received[ri][0]);
  }
  return { total, sender, wire, receiver, updatesBackToTypist: backToA.length };
}

/**
 * With WEFT_PROFILE_PEERS=<dir>: CPU profiles of `pages` around `fn`, written as <dir>/weft-peer-<name>-<label>.cpuprofile;
 * with WEFT_TRACE_PEERS=<dir>: Chromium timeline traces instead (style, layout with its dirty/total object counts, paint),
 * <dir>/weft-peer-<name>-<label>.trace.json. Both open in DevTools.
 */
export async function profiled(pages, label, fn) {
  if (process.env.WEFT_TRACE_PEERS) return traced(pages, label, fn, process.env.WEFT_TRACE_PEERS);
  const dir = process.env.WEFT_PROFILE_PEERS;
  if (!dir) return fn();
  const sessions = await Promise.all(
    Object.entries(pages).map(async ([name, page]) => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
      return [name, cdp];
    }),
  );
  try {
    return await fn();
  } finally {
    const { writeFileSync } = await import('node:fs');
    for (const [name, cdp] of sessions) writeFileSync(join(dir, `weft-peer-${name}-${label}.cpuprofile`), JSON.stringify((await cdp.send('Profiler.stop')).profile));
  }
}

async function traced(pages, label, fn, dir) {
  const sessions = await Promise.all(
    Object.entries(pages).map(async ([name, page]) => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReturnAsStream' });
      return [name, cdp];
    }),
  );
  try {
    return await fn();
  } finally {
    const { writeFileSync } = await import('node:fs');
    for (const [name, cdp] of sessions) {
      const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
      await cdp.send('Tracing.end');
      const { stream } = await done;
      let data = '';
      for (;;) {
        const chunk = await cdp.send('IO.read', { handle: stream });
        data += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data;
        if (chunk.eof) break;
      }
      await cdp.send('IO.close', { handle: stream });
      writeFileSync(join(dir, `weft-peer-${name}-${label}.trace.json`), data);
    }
  }
}

const paragraphs = (page) => page.evaluate((sel) => document.querySelector(sel).childElementCount, EDITOR);
const probeOf = (page) => page.evaluate(() => ({ origin: performance.timeOrigin, ...window.__weftProbe }));

/** The framed message with the most bytes whose first frame is at or after `since` (absolute ms). */
function largestMessage(table, since) {
  let best = null;
  for (const m of Object.values(table)) if (m.first >= since && (best === null || m.bytes > best.bytes)) best = m;
  return best;
}

/** Resolves (in the page) with the absolute time of the first frame in which the editor's last paragraph starts with `prefix` and it has `count` paragraphs. */
function waitLastLine(page, count, prefix) {
  return page
    .waitForFunction(
      ([sel, want, p]) => {
        const el = document.querySelector(sel);
        return el && el.childElementCount >= want && el.lastElementChild.textContent.startsWith(p) ? performance.timeOrigin + performance.now() : false;
      },
      [EDITOR, count, prefix],
      { polling: 'raf', timeout: 120_000 },
    )
    .then((h) => h.jsonValue());
}

/**
 * Where a new peer's time went, from its navigation start: one `[what, ms]` row per milestone,
 * sorted by time (ms relative to C's `timeOrigin`; A's rows are on the same clock).
 */
function initialSyncTimeline(c, a, nav, resources, syncedAt) {
  const rows = [];
  const at = (what, abs) => {
    if (typeof abs === 'number' && Number.isFinite(abs)) rows.push([what, abs - c.origin]);
  };
  const rel = (what, ms) => {
    if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) rows.push([what, ms]);
  };
  rel('C: document received (responseEnd)', nav.responseEnd);
  rel('C: DOMContentLoaded (app module evaluated)', nav.domContentLoadedEventEnd);
  for (const r of resources) {
    if (/\/assets\/index-[^/]*\.js$/.test(r.name)) rel('C: app bundle loaded', r.responseEnd);
    if (/\/assets\/webrtc-[^/]*\.js$/.test(r.name)) {
      rel('C: transport chunk requested', r.startTime);
      rel('C: transport chunk loaded', r.responseEnd);
    }
    if (/\/config\.json$/.test(r.name)) rel('C: /config.json answered', r.responseEnd);
  }
  for (const d of c.idb) {
    at(`C: IndexedDB open "${d.name}" requested`, d.start);
    at(`C: IndexedDB open "${d.name}" done`, d.success);
  }
  for (const k of c.crypto) {
    at(`C: crypto.${k.name} started`, k.start);
    at(`C: crypto.${k.name} done`, k.end);
  }
  for (const [what, t] of c.ui) at(`C: ${what}`, t);
  for (const ws of c.ws) {
    at('C: signaling socket created', ws.created);
    at('C: signaling socket open', ws.open);
    const firstOf = (list, type) => list.find(([, ty]) => ty === type)?.[0];
    at('C: first "subscribe" sent', firstOf(ws.sent, 'subscribe'));
    at('C: first "publish" sent (announce)', firstOf(ws.sent, 'publish'));
    const received = ws.recv.filter(([, ty]) => ty === 'publish');
    if (received.length) at(`C: first of ${received.length} signaling publishes received`, received[0][0]);
  }
  for (const pc of c.pcs) {
    at('C: RTCPeerConnection created', pc.created);
    for (const [what, t] of pc.events) if (!/candidate/.test(what) || what === 'candidates done') at(`C: ${what}`, t);
  }
  const since = c.origin;
  const firstSync = (list, syncType) => list.find(([t, , type, st]) => t >= since && type === 0 && st === syncType)?.[0];
  at('C: sync step 1 sent', firstSync(c.rawSent, 0));
  at('A: sync step 1 sent', firstSync(a.rawSent, 0));
  at('A: sync step 1 received', firstSync(a.rawRecv, 0));
  at('C: sync step 1 received', firstSync(c.rawRecv, 0));
  const aWs = a.ws.flatMap((ws) => ws.recv.filter(([t, ty]) => ty === 'publish' && t >= since));
  if (aWs.length) at('A: first signaling publish from C received (announce)', aWs[0][0]);
  for (const pc of a.pcs.filter((p) => p.created >= since)) {
    at('A: RTCPeerConnection created', pc.created);
    for (const [what, t] of pc.events) if (!/candidate/.test(what) || what === 'candidates done') at(`A: ${what}`, t);
  }
  const step2 = largestMessage(a.sent, since);
  if (step2) {
    at(`A: first frame of its largest message sent (${step2.bytes} B, ${step2.frames} frames)`, step2.first);
    at('A: its last frame sent', step2.last);
  }
  const got = largestMessage(c.recv, since);
  if (got) {
    at(`C: first frame of the largest message received (${got.bytes} B)`, got.first);
    at('C: its last frame received', got.last);
  }
  rel('C: editor shows the whole note', syncedAt);
  return rows.sort((x, y) => x[1] - y[1]);
}

/** The sample whose `value` is the median (the lower middle one of an even count), to show its parts. */
const medianSample = (samples, value) => [...samples].sort((x, y) => value(x) - value(y))[Math.floor((samples.length - 1) / 2)];

/** A new note on A starting with `text`, opened on B from its share link; resolves once both are connected and B shows it. */
async function openSharedNote(a, b, text) {
  await a.getByRole('button', { name: 'New note' }).click();
  await a.locator(EDITOR).click();
  await a.keyboard.type(text);
  const link = await shareLink(a);
  await a.locator(EDITOR).click();
  await a.keyboard.press('Control+End');
  await b.goto(link);
  await b.locator(EDITOR).waitFor();
  await Promise.all([waitConnected(a), waitConnected(b)]);
  await b.waitForFunction(([sel, t]) => document.querySelector(sel).textContent.startsWith(t.trim()), [EDITOR, text]);
}

/**
 * Pastes `pasteLines` lines of `prose` (~76 B each, see pasteText) on a new line at A's caret: paste
 * event → the frame where B's DOM shows the last line, split into sender / transfer / receiver from
 * the probes.
 */
async function pasteOnce(a, b, pasteLines, prose, label) {
  const before = await paragraphs(b);
  const lastLine = `${String(before + pasteLines - 1).padStart(6, '0')} `;
  await a.keyboard.press('Enter');
  const [pasted, shownOnA, arrived] = await profiled({ a, b }, label, async () => {
    const seenOnB = waitLastLine(b, before + pasteLines, lastLine);
    const seenOnA = waitLastLine(a, before + pasteLines, lastLine);
    const pasted = await a.evaluate(
      ({ sel, text }) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        const t = performance.timeOrigin + performance.now();
        document.querySelector(sel).dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        return { t, bytes: new TextEncoder().encode(text).byteLength };
      },
      { sel: EDITOR, text: pasteText(before, pasteLines, prose) },
    );
    return [pasted, await seenOnA, await seenOnB];
  });
  const paste = { t: pasted.t, bytes: pasted.bytes, ms: arrived - pasted.t, localMs: shownOnA - pasted.t };
  const sent = largestMessage((await probeOf(a)).sent, pasted.t);
  const received = largestMessage((await probeOf(b)).recv, pasted.t);
  if (sent && received) {
    paste.parts = {
      updateBytes: sent.bytes,
      frames: sent.frames,
      senderMs: sent.first - pasted.t,
      sendQueueMs: sent.last - sent.first,
      transferMs: received.last - sent.first,
      receiverMs: arrived - received.last,
    };
    if (process.env.WEFT_PEERS_DEBUG) paste.debug = { sent, received };
  }
  paste.stillConnected =
    /^Connected to 1 peer(,|$)/.test((await syncStatus(a).textContent()) ?? '') && /^Connected to 1 peer(,|$)/.test((await syncStatus(b).textContent()) ?? '');
  return paste;
}

/**
 * A new peer `c` opens `link` (a note with `want.paras` paragraphs, `want.chars` characters):
 * navigation start → C's editor shows all of it, and → C says "Connected", with the timeline of
 * where the time went.
 */
async function joinOnce(a, c, link, want, label) {
  await c.goto('about:blank');
  const navStart = Date.now();
  const [connectedAt, syncedAt] = await profiled({ a, c }, label, async () => {
    await c.goto(link);
    return Promise.all([
      c.waitForFunction(() => /^Connected to/.test(document.querySelector('[role="status"][aria-label="Sync status"]')?.textContent ?? '') && performance.now(), null, { polling: 'raf', timeout: 60_000 }).then((h) => h.jsonValue()),
      c.waitForFunction(
        ([sel, w]) => {
          const el = document.querySelector(sel);
          return el && el.childElementCount === w.paras && el.textContent.length === w.chars ? performance.now() : false;
        },
        [EDITOR, want],
        { polling: 'raf', timeout: 60_000 },
      ).then((h) => h.jsonValue()),
    ]);
  });
  const [nav, resources] = await c.evaluate(() => [
    performance.getEntriesByType('navigation')[0]?.toJSON() ?? {},
    performance.getEntriesByType('resource').map((r) => ({ name: r.name, startTime: r.startTime, responseEnd: r.responseEnd })),
  ]);
  const [probeC, probeA] = [await probeOf(c), await probeOf(a)];
  // "Connected" as the probe's observer saw it (the rAF poll above can be a frame or more late).
  const connectedSeen = probeC.ui.find(([what]) => what.startsWith('status "Connected'));
  const connectedMs = connectedSeen ? connectedSeen[1] - probeC.origin : connectedAt;
  return {
    navToSyncedMs: syncedAt,
    navToConnectedMs: connectedMs,
    connectedToSyncedMs: syncedAt - connectedMs,
    wallMs: Date.now() - navStart,
    timeline: initialSyncTimeline(probeC, probeA, nav, resources, syncedAt),
  };
}

export async function peersScenario({ root, distDir, keystrokes, pasteLines, pasteReps = 1, joins = 1, backup, backupText }) {
  const prose = backupText.replace(/\s+/g, ' ');
  const server = await startAppServer(root, distDir);
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-peers-'));
  const contexts = [];
  const launch = async (name) => {
    const context = await chromium.launchPersistentContext(join(dir, name), {
      ...LAUNCH_OPTIONS,
      permissions: ['camera', 'microphone'],
    });
    await context.addInitScript(installProbe);
    contexts.push(context);
    return context.pages()[0] ?? (await context.newPage());
  };
  const out = { ok: true, error: null };
  try {
    const a = await launch('a');
    const b = await launch('b');
    await a.goto(`${server.url}/`);
    await openSharedNote(a, b, 'Latency: ');

    // 3, small note.
    out.latencySmall = await keystrokeLatency(a, b, keystrokes);

    // 5, 1 MB paste: the first into this note, each further one into a new note shared the same way.
    out.pastes = [];
    for (let rep = 0; rep < pasteReps; rep++) {
      if (rep > 0) await openSharedNote(a, b, `Paste ${rep + 1}: `);
      const paste = await pasteOnce(a, b, pasteLines, prose, rep === 0 ? 'paste' : `paste-${rep + 1}`);
      out.pastes.push(paste);
      if (!paste.stillConnected) {
        out.ok = false;
        out.error = 'a peer lost its connection during the large paste';
        break;
      }
    }
    // The median sample (by paste → B's DOM), with its parts.
    out.paste = medianSample(out.pastes, (x) => x.ms);
    out.pasteStillConnected = out.pastes.every((x) => x.stillConnected);

    // 3, stress row: type at the end of the pasted megabyte.
    await a.keyboard.press('Control+End');
    out.stressChars = await a.evaluate((sel) => document.querySelector(sel).textContent.length, EDITOR);
    out.stressParagraphs = await paragraphs(a);
    out.latencyStress = await profiled({ a, b }, 'stress-typing', () => keystrokeLatency(a, b, keystrokes));
    // Whatever large message A received since its last paste (B wrote nothing large): that paste sent back.
    const lastPaste = out.pastes.at(-1);
    if (lastPaste) out.pasteBackToSenderBytes = largestMessage((await probeOf(a)).recv, lastPaste.t)?.bytes ?? 0;
    // B is done: free its process (it holds the 1 MB note) for what follows.
    await b.goto('about:blank');

    if (backup) {
      // 5, initial sync of a new peer C to a note with the whole automerge-paper history.
      await a.goto(`${server.url}/`);
      await a.getByRole('button', { name: 'Restore from backup' }).setInputFiles({ name: 'weft-backup.json', mimeType: 'application/json', buffer: Buffer.from(backup) });
      const notes = a.getByRole('navigation', { name: 'Notes' });
      await notes.getByRole('link', { name: /bench/ }).first().click({ timeout: 30_000 });
      // The note's text, as the DOM holds it: one element per line, no newlines.
      const want = { paras: backupText.split('\n').length, chars: backupText.replace(/\n/g, '').length };
      await a.waitForFunction(
        ([sel, w]) => document.querySelector(sel)?.childElementCount === w.paras && document.querySelector(sel).textContent.length === w.chars,
        [EDITOR, want],
        { timeout: 30_000 },
      );
      const historyLink = await shareLink(a);
      // `joins` new peers one after the other, each a new Chromium process with an empty profile
      // (a first visit); the last one stays for the large-note typing below.
      out.joins = [];
      let c = null;
      for (let join = 0; join < joins; join++) {
        if (c) await c.context().close();
        c = await launch(`c${join}`);
        out.joins.push(await joinOnce(a, c, historyLink, want, join === 0 ? 'initial-sync' : `initial-sync-${join + 1}`));
        await waitConnected(a);
      }
      // The median join, with its timeline.
      out.initialSync = {
        paragraphs: want.paras,
        chars: want.chars,
        ...medianSample(out.joins, (x) => x.navToSyncedMs),
      };

      // 3, large note = the automerge-paper note: typed on A, seen in C's DOM; at its end, then
      // inside its middle paragraph.
      await waitConnected(a);
      await a.locator(EDITOR).click();
      await a.keyboard.press('Control+End');
      out.largeChars = await a.evaluate((sel) => document.querySelector(sel).textContent.length, EDITOR);
      out.largeParagraphs = await paragraphs(a);
      out.latencyLargeEnd = await profiled({ a, c }, 'large-typing-end', () => keystrokeLatency(a, c, keystrokes));
      const middle = a.locator(`${EDITOR} > :nth-child(${Math.ceil(out.largeParagraphs / 2)})`);
      await middle.scrollIntoViewIfNeeded();
      await middle.click();
      out.latencyLargeMiddle = await profiled({ a, c }, 'large-typing-middle', () => keystrokeLatency(a, c, keystrokes));
      // Correctness: both peers hold the same text after the typing.
      const typed = want.chars + 2 * keystrokes;
      await c.waitForFunction(([sel, n]) => document.querySelector(sel).textContent.length >= n, [EDITOR, typed], { timeout: 10_000 }).catch(() => undefined);
      const [ta, tc] = await Promise.all([a, c].map((p) => p.evaluate((sel) => document.querySelector(sel).textContent, EDITOR)));
      if (ta !== tc || ta.length !== typed) {
        out.ok = false;
        out.error = `after typing in the automerge-paper note the peers differ (A ${ta.length} chars, C ${tc.length}, expected ${typed})`;
      }
    }
  } catch (error) {
    out.ok = false;
    out.error = String(error?.message ?? error).split('\n')[0];
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    await server.stop();
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  return out;
}

/**
 * Baseline for the paste: the same text pasted into the app's editor with no collaboration (the
 * bench harness's `plain` variant: NoteEditor, no binding, no storage), in `page` (a harness page
 * with `window.weftBench`). Paste event → the frame whose DOM shows the last line.
 */
export async function plainLexicalPaste(page, pasteLines, prose) {
  await page.evaluate(() => window.weftBench.mount('plain'));
  try {
    return await page.evaluate(
      ({ text, count }) =>
        new Promise((resolve) => {
          const el = document.querySelector('[contenteditable="true"]');
          el.focus();
          const last = `${String(count - 1).padStart(6, '0')} `;
          const data = new DataTransfer();
          data.setData('text/plain', text);
          const t = performance.now();
          el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
          const poll = () => {
            if (el.childElementCount >= count && el.lastElementChild.textContent.startsWith(last)) resolve({ ms: performance.now() - t, paragraphs: el.childElementCount });
            else window.requestAnimationFrame(poll);
          };
          window.requestAnimationFrame(poll);
        }),
      { text: pasteText(0, pasteLines, prose), count: pasteLines },
    );
  } finally {
    await page.evaluate(() => window.weftBench.unmountActive());
  }
}
