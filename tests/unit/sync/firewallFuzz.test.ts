// @vitest-environment jsdom
/**
 * Structure-aware fuzzer of the schema firewall (src/sync/updateFirewall.ts).
 *
 * An honest peer (a headless editor bound with bindEditorToDoc) makes random
 * valid edits; each case delivers to a victim either such an edit, or a
 * hostile update built against the peer's current state (the cases
 * and mutations of them: wrong node types, attribute types and values, deep
 * nesting, many client ids, missing dependencies, oversize, byte flips of
 * valid updates), through the receive path the transports use (firewall,
 * then apply). The victim is a real editor rendered into jsdom.
 *
 * Oracles, counted (a promised check that never ran fails the test):
 * - honestAccepted: an honest edit is accepted;
 * - hostileRejected: a certainly-bad update is rejected;
 * - rejectedUnchanged: a rejected update leaves the doc byte-identical;
 * - localEditReachesDoc: a local edit after the case reaches the doc;
 * - reloadKeepsEdit: … and survives a reload from the stored updates (sampled);
 * - lastValidTextIntact: the last honest text is in the victim's editor;
 * - domAllowList: nothing outside the render allow-list is rendered;
 * - pendingBounded: structs waiting for dependencies stay bounded;
 * - noEditorErrors: the editor reported no error and stays editable.
 *
 * FIREWALL_CASES=20000 for more cases; WEFT_SEED=<seed> replays a failure.
 * The per-update firewall time is printed (max / p99), never asserted.
 */
import { $createAutoLinkNode, $createLinkNode, $isAutoLinkNode } from '@lexical/link';
import { $createListItemNode, $createListNode } from '@lexical/list';
import { $createHeadingNode, $createQuoteNode, type HeadingTagType } from '@lexical/rich-text';
import { $createParagraphNode, $createTextNode, $getRoot, $isElementNode, $isTextNode, createEditor, type ElementNode, type LexicalEditor } from 'lexical';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ORIGIN_REMOTE } from '../../../src/doc/origins';
import { applySeed } from '../../../src/doc/seed';
import { bindEditorToDoc } from '../../../src/editor/collab/bindEditorToDoc';
import { EDITOR_NODES } from '../../../src/editor/nodes';
import { RENDER_ALLOWED_TAGS } from '../../../src/editor/renderAllowList';
import { EDITOR_THEME } from '../../../src/editor/theme';
import { MAX_NODE_DEPTH, NOTE_ROOT_NAME } from '../../../src/doc/noteSchema';
import { plainText } from '../../../src/doc/repairNoteDoc';
import {
  MAX_NEW_CLIENTS_PER_UPDATE,
  MAX_PENDING_STRUCTS,
  MAX_UPDATE_BYTES,
  checkNoteUpdate,
  type UpdateKind,
} from '../../../src/sync/updateFirewall';
import { block, headingWithTag, setClientIdSource, hostileEdit, inlineLink, manyClients, missingDependency, nestedQuotes } from './hostileUpdates';
import { oracleCounter } from '../../oracle';
import { mulberry32, seedsFor } from '../../prng';

const CASES = Number(process.env.FIREWALL_CASES ?? 1000);
// Seed 3 (fresh in its day) found the library's structural diff rewriting an
// honest block into another (see src/editor/collab/alignBlocks.ts).
const SEEDS = seedsFor('firewall fuzz', { pinned: [3], fresh: 1 });
/** Every how many cases the reload oracle runs (it replays the whole stored log). */
const RELOAD_EVERY = 10;
/** Cases per pair of fresh peer and victim (keeps notes, and so the cost of a case, bounded). */
const ROUND_CASES = 40;

const CHECKS = [
  'honestAccepted',
  'hostileRejected',
  'rejectedUnchanged',
  'localEditReachesDoc',
  'reloadKeepsEdit',
  'lastValidTextIntact',
  'domAllowList',
  'pendingBounded',
  'noEditorErrors',
] as const;
const oracle = oracleCounter('firewall fuzz', CHECKS);
const ran = (check: (typeof CHECKS)[number]) => oracle.hit(check);
const kinds = new Map<string, number>();
const timings: number[] = [];

type Expect = 'accept' | 'reject' | 'either';
interface Case {
  readonly name: string;
  readonly update: Uint8Array;
  readonly expect: Expect;
  readonly kind: UpdateKind;
  /** Delivered after the case (a valid update the mutated one was made from). */
  readonly then?: Uint8Array;
}

/** An honest peer: a headless editor bound to its own doc, editing at random. */
class HonestPeer {
  readonly doc = new Y.Doc();
  readonly editor: LexicalEditor;
  lastWord = '';
  private readonly dispose: () => void;

  constructor(private readonly random: () => number) {
    this.doc.clientID = 1000 + Math.floor(random() * 2 ** 30);
    applySeed(this.doc);
    this.editor = createEditor({ namespace: 'peer', nodes: EDITOR_NODES, onError: (e) => { throw e; } });
    this.dispose = bindEditorToDoc(this.editor, this.doc).dispose;
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** One random valid edit; returns its update (null when it changed nothing). */
  edit(counter: number): Uint8Array | null {
    const updates: Uint8Array[] = [];
    const onUpdate = (u: Uint8Array) => updates.push(u);
    const before = Y.encodeStateVector(this.doc);
    this.doc.on('update', onUpdate);
    const word = `w${counter}x${this.int(1e6)}`;
    const op = this.int(8);
    this.editor.update(
      () => {
        const root = $getRoot();
        const blocks = root.getChildren();
        const at = blocks[this.int(blocks.length)] ?? null;
        const text = $createTextNode(word);
        switch (op) {
          case 0: {
            const h = $createHeadingNode(`h${1 + this.int(6)}` as HeadingTagType);
            h.append(text);
            if (at) at.insertAfter(h);
            else root.append(h);
            break;
          }
          case 1: {
            const list = $createListNode(this.random() < 0.5 ? 'bullet' : 'number');
            const item = $createListItemNode();
            item.append(text);
            list.append(item);
            root.append(list);
            break;
          }
          case 2: {
            // Links, and every other time a link made as you type (its URL then grows, below).
            const p = $createParagraphNode();
            const url = `https://example.org/${counter}`;
            const link = counter % 2 === 0 ? $createLinkNode(url) : $createAutoLinkNode(url);
            link.append(text);
            p.append(link);
            root.append(p);
            break;
          }
          case 3: {
            const q = $createQuoteNode();
            q.append(text);
            root.append(q);
            break;
          }
          case 4: {
            const textNodes = root.getAllTextNodes();
            const t = textNodes[this.int(textNodes.length)];
            if (t) {
              t.setTextContent(`${t.getTextContent()} ${word}`);
              t.toggleFormat('bold');
            } else root.append($createParagraphNode().append(text));
            break;
          }
          case 5: {
            if (blocks.length > 3 && at && !at.getTextContent().includes(this.lastWord)) at.remove();
            root.append($createParagraphNode().append(text));
            break;
          }
          default: {
            const p = $createParagraphNode();
            p.setIndent(this.int(4));
            p.append(text);
            root.append(p);
          }
        }
      },
      { discrete: true },
    );
    if (op === 2 && counter % 2 === 1) {
      // The URL of a link made as you type is set again with each key: successive sets
      // of one attribute, which Yjs merges into one item (no randomness drawn: seeds replay).
      for (const key of ['a', 'b']) {
        this.editor.update(
          () => {
            const link = $getRoot().getLastChild<ElementNode>()?.getFirstChild();
            if ($isAutoLinkNode(link)) link.setURL(`${link.getURL()}${key}`);
          },
          { discrete: true },
        );
      }
    }
    this.doc.off('update', onUpdate);
    this.lastWord = word;
    if (updates.length === 0) return null;
    // The growing link goes out as a sync step 2 would send it (a diff of the doc's
    // store, where Yjs has merged the successive URLs into one item, which the
    // update events do not show); every other edit as its update events.
    return op === 2 && counter % 2 === 1 ? Y.encodeStateAsUpdate(this.doc, before) : Y.mergeUpdates(updates);
  }

  destroy(): void {
    this.dispose();
    this.doc.destroy();
  }
}

/** A hostile case built against `base` (the honest peer's doc). */
function hostileCase(base: Y.Doc, random: () => number): Case {
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const n = Math.floor(random() * 14);
  switch (n) {
    case 0:
      return { name: 'badTag', update: headingWithTag(base, pick(['x y', 'iframe', 'form', 'input', 'script', 'h7', '', 42, true, { a: 1 }])), expect: 'reject', kind: 'update' };
    case 1: {
      // Links and links made as you type (autolink): bad URLs, and an autolink's bad flag.
      const [type, attributes] = pick<readonly [string, Record<string, unknown>]>([
        ['link', { __url: 42 }],
        ['link', { __url: true }],
        ['link', { __url: { href: 'https://x' } }],
        ['link', { __url: ['https://x'] }],
        ['link', { __url: 'x'.repeat(10_000) }],
        ['autolink', { __url: 42 }],
        ['autolink', { __url: 'x'.repeat(10_000) }],
        ['autolink', { __url: 'https://x', __isUnlinked: 'yes' }],
        ['autolink', { __url: 'https://x', __isUnlinked: 1 }],
        ['autolink', { __url: 'https://x', onclick: 'x' }],
        ['link', { __url: 'https://x', __isUnlinked: false }],
      ]);
      return { name: 'badUrl', update: inlineLink(base, type, attributes), expect: 'reject', kind: 'update' };
    }
    case 2:
      return {
        name: 'unknownType',
        update: hostileEdit(base, (root) => root.insert(root.length, [block(pick(['iframe', 'script', 'form', 'input', 'img', 'UNDEFINED', 'root', 'artificial', 'x y', 'listitem', 'linebreak', 'link']), {})])),
        expect: 'reject',
        kind: 'update',
      };
    case 3:
      return {
        name: 'textUnderRoot',
        update: hostileEdit(base, (root) => {
          const t = new Y.XmlText();
          t.insert(0, 'loose');
          root.insert(Math.floor(random() * (root.length + 1)), [t]);
        }),
        expect: 'reject',
        kind: 'update',
      };
    case 4:
      return { name: 'deep', update: nestedQuotes(base, MAX_NODE_DEPTH + 1 + Math.floor(random() * (random() < 0.1 ? 20_000 : 500))), expect: 'reject', kind: pick(['update', 'sync'] as const) };
    case 5:
      return { name: 'manyClients', update: manyClients(base, MAX_NEW_CLIENTS_PER_UPDATE + 1 + Math.floor(random() * 100), 1e6 + Math.floor(random() * 1e8)), expect: 'reject', kind: 'update' };
    case 6: {
      const [, dependent] = missingDependency(base, MAX_PENDING_STRUCTS + 1 + Math.floor(random() * 50));
      return { name: 'missingDepsMany', update: dependent, expect: 'reject', kind: 'update' };
    }
    case 7: {
      // A few valid structs waiting for a dependency that may come (then) or never.
      const [withheld, dependent] = missingDependency(base, 1 + Math.floor(random() * 5));
      return { name: 'missingDepsFew', update: dependent, expect: 'accept', kind: 'update', then: random() < 0.5 ? withheld : undefined };
    }
    case 8: {
      // Hostile content hidden behind a missing dependency, then the dependency.
      const [withheld, dependent] = missingDependency(base, 1, (_root, last) => last.setAttribute('__tag', 'iframe'));
      return { name: 'missingDepsHostile', update: dependent, expect: 'either', kind: 'update', then: withheld };
    }
    case 9:
      return {
        name: 'badFormat',
        update: hostileEdit(base, (root) => {
          const p = block('paragraph', {});
          root.insert(root.length, [p]);
          (p.get(0) as Y.XmlText).format(0, 3, pick([{ p: { __format: 1 << 20 } }, { p: { __style: 7 } }, { t: 'iframe' }, { t: 'paragraph' }, { onclick: 'x' }, { p: 'x' }, { i: 'x' }]));
        }),
        expect: 'reject',
        kind: 'update',
      };
    case 10:
      return {
        name: 'badAttribute',
        update: hostileEdit(base, (root) =>
          root.insert(root.length, [block(pick(['paragraph', 'quote', 'heading']), pick([{ onclick: 'x' }, { __indent: 1e9 }, { __indent: -1 }, { __format: 99 }, { s_x: { a: 1 } }, { __dir: 'up' }, { __textFormat: 'b' }, { style: 'x' }]))]),
        ),
        expect: 'reject',
        kind: 'update',
      };
    case 11: {
      if (random() < 0.05) {
        return { name: 'oversize', update: hostileEdit(base, (root) => root.insert(root.length, [block('paragraph', {}, 'x'.repeat(MAX_UPDATE_BYTES))])), expect: 'reject', kind: 'update' };
      }
      return {
        name: 'listOutsideRules',
        update: hostileEdit(base, (root) => {
          const list = new Y.XmlElement('list');
          list.insert(0, [pick([block('paragraph', {}), block('quote', {}), (() => { const t = new Y.XmlText(); t.insert(0, 'x'); return t; })()])]);
          root.insert(root.length, [list]);
        }),
        expect: 'reject',
        kind: 'update',
      };
    }
    case 12:
      return { name: 'otherSharedType', update: hostileEdit(base, (_root, doc) => doc.getMap(pick(['m', 'root', 'x'])).set('k', 1)), expect: 'reject', kind: 'update' };
    default: {
      // Byte flips of a valid edit by a third client. (Flipping the honest
      // peer's own edit would forge its ids — same ids, other content — which
      // no firewall can tell from the real edit without signatures.)
      const source = hostileEdit(base, (root) => root.insert(root.length, [block(pick(['paragraph', 'heading', 'quote']), pick([{}, { __indent: 1 }, { __tag: 'h2' }]), 'flip')]));
      const flipped = source.slice();
      for (let i = 1 + Math.floor(random() * 3); i > 0; i--) flipped[Math.floor(random() * flipped.length)] = Math.floor(random() * 256);
      return { name: 'byteFlip', update: flipped, expect: 'either', kind: 'update' };
    }
  }
}

/** The victim: a rendered editor on a doc that stores every update it emits. */
class Victim {
  readonly doc = new Y.Doc();
  readonly root = document.createElement('div');
  readonly editor: LexicalEditor;
  readonly stored: Uint8Array[] = [];
  readonly errors: Error[] = [];
  private own: Uint8Array[] = [];
  private readonly dispose: () => void;

  constructor(clientID: number) {
    this.doc.clientID = clientID;
    this.doc.on('update', (u: Uint8Array, origin: unknown) => {
      this.stored.push(u);
      if (origin !== ORIGIN_REMOTE) this.own.push(u);
    });
    applySeed(this.doc);
    this.root.contentEditable = 'true';
    document.body.append(this.root);
    this.editor = createEditor({ namespace: 'victim', nodes: EDITOR_NODES, theme: EDITOR_THEME, onError: (e) => this.errors.push(e) });
    this.editor.setRootElement(this.root);
    this.dispose = bindEditorToDoc(this.editor, this.doc, { onSyncError: (e) => this.errors.push(e) }).dispose;
  }

  /** The receive path of the transports: firewall, then apply whole. */
  lastReason = '';

  receive(update: Uint8Array, kind: UpdateKind): boolean {
    const started = performance.now();
    const verdict = checkNoteUpdate(this.doc, update, { kind });
    timings.push(performance.now() - started);
    this.lastReason = verdict.ok ? '' : verdict.reason;
    if (verdict.ok) Y.applyUpdate(this.doc, update, ORIGIN_REMOTE);
    return verdict.ok;
  }

  /** The updates this victim made itself since the last call. */
  takeOwnUpdates(): Uint8Array[] {
    return this.own.splice(0);
  }

  /** Types `marker` as a new last paragraph, as a user would. */
  type(marker: string): void {
    this.editor.update(
      () => {
        const root = $getRoot();
        const last = root.getLastChild();
        if ($isElementNode(last) && !$isTextNode(last) && last.getType() === 'paragraph') last.append($createTextNode(` ${marker}`));
        else root.append($createParagraphNode().append($createTextNode(marker)));
      },
      { discrete: true },
    );
  }

  text(): string {
    return this.editor.read(() => $getRoot().getTextContent());
  }

  destroy(): void {
    this.dispose();
    this.editor.setRootElement(null);
    this.root.remove();
    this.doc.destroy();
  }
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

afterAll(() => {
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  console.log(
    `firewall fuzz: seeds ${SEEDS.join(', ')}, ${CASES} cases each; case kinds ${JSON.stringify(Object.fromEntries(kinds))}\n` +
      `oracle checks run: ${JSON.stringify(oracle.counts)}\n` +
      `firewall time per update: max ${fmt(Math.max(...timings))}, p99 ${fmt(percentile(timings, 99))}, median ${fmt(percentile(timings, 50))} over ${timings.length} updates`,
  );
});

describe('schema firewall fuzz', () => {
  it.each(SEEDS)(`survives ${CASES} random honest and hostile updates (seed %i; replay with WEFT_SEED)`, (seed) => {
    const random = mulberry32(seed);
    let peer = new HonestPeer(random);
    // Client ids decide the order of concurrent inserts: seeded too, for replayable runs.
    setClientIdSource(() => 1000 + Math.floor(random() * 2 ** 30));
    let victim = new Victim(1000 + Math.floor(random() * 2 ** 30));
    /** A hostile update that deletes was accepted this round: deleting is any editor's right, so honest text may be gone. */
    let hostileDeleted = false;
    /**
     * An accepted byte-flipped update claimed ids of the honest peer (a
     * forgery: same ids, other content). Its later edits may then not fit
     * (Yjs itself would throw on some); no firewall can tell without
     * signatures. Honest expectations are off for the rest of the round.
     */
    let forged = false;
    const forges = (update: Uint8Array, client: number): boolean => {
      try {
        return Y.decodeUpdate(update).structs.some((s) => s.id.client === client);
      } catch {
        return false;
      }
    };
    let caseName = '';
    let round: string[] = [];
    let index = 0;
    try {
      for (index = 0; index < CASES; index++) {
        if (index > 0 && index % ROUND_CASES === 0) {
          peer.destroy();
          victim.destroy();
          peer = new HonestPeer(random);
          victim = new Victim(1000 + Math.floor(random() * 2 ** 30));
          round = [];
          hostileDeleted = false;
          forged = false;
        }
        const honest = peer.edit(index);
        let current: Case;
        if (random() < 0.4 && honest) {
          current = { name: 'honest', update: honest, expect: 'accept', kind: random() < 0.1 ? 'sync' : 'update' };
        } else {
          // Usually built on what the victim has; sometimes on the honest
          // edit it has not received yet (so it waits for it, and then must
          // not block it).
          const early = random() < 0.2;
          if (honest && !early) {
            const ok = victim.receive(honest, 'update');
            if (!forged) expect(ok, `an honest update was rejected: ${victim.lastReason}`).toBe(true);
          }
          current = hostileCase(peer.doc, random);
          if (early) current = { ...current, name: `${current.name}(early)`, expect: 'either' };
          else current = { ...current, then: undefined };
        }
        caseName = current.name;
        round.push(current.name);
        kinds.set(current.name, (kinds.get(current.name) ?? 0) + 1);

        const before = Y.encodeStateAsUpdate(victim.doc);
        const accepted = victim.receive(current.update, current.kind);
        const deletes = (update: Uint8Array) => {
          try {
            return Y.decodeUpdate(update).ds.clients.size > 0;
          } catch {
            return false;
          }
        };
        if (accepted && current.update !== honest && deletes(current.update)) hostileDeleted = true;
        if (accepted && current.update !== honest && (forges(current.update, peer.doc.clientID) || forges(current.update, victim.doc.clientID))) forged = true;
        if (current.expect === 'accept' && !forged) {
          expect(accepted, `an honest update was rejected: ${victim.lastReason}`).toBe(true);
          ran('honestAccepted');
        } else if (current.expect === 'reject') {
          expect(accepted, 'a hostile update was accepted').toBe(false);
          ran('hostileRejected');
        }
        if (!accepted) {
          expect(Y.encodeStateAsUpdate(victim.doc)).toEqual(before);
          ran('rejectedUnchanged');
        }
        if (current.then) victim.receive(current.then, 'update');
        // The honest edit always reaches the victim (as it would from the peer itself); twice is harmless.
        if (honest && current.update !== honest) {
          const ok = victim.receive(honest, 'update');
          if (!forged) expect(ok, `an honest update was rejected: ${victim.lastReason}`).toBe(true);
        }

        // The user types; it must reach the doc, and (sampled) survive a reload.
        const marker = `k${index}k`;
        victim.type(marker);
        // The peer hears the victim's own edits (typing, and what its editor
        // writes back), as a real peer would.
        for (const u of victim.takeOwnUpdates()) Y.applyUpdate(peer.doc, u, ORIGIN_REMOTE);
        expect(plainText(victim.doc.get(NOTE_ROOT_NAME, Y.XmlElement))).toContain(marker);
        ran('localEditReachesDoc');
        if (index % RELOAD_EVERY === RELOAD_EVERY - 1 || index % ROUND_CASES === ROUND_CASES - 1 || index === CASES - 1) {
          const reloaded = new Y.Doc();
          Y.applyUpdate(reloaded, Y.mergeUpdates(victim.stored));
          expect(plainText(reloaded.get(NOTE_ROOT_NAME, Y.XmlElement))).toContain(marker);
          reloaded.destroy();
          ran('reloadKeepsEdit');
        }
        if (peer.lastWord && !hostileDeleted && !forged) {
          // Every honest struct reached the victim's doc…
          const victimState = Y.decodeStateVector(Y.encodeStateVector(victim.doc));
          for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(peer.doc))) {
            if (client !== victim.doc.clientID) expect(victimState.get(client) ?? 0, 'honest edit not integrated').toBeGreaterThanOrEqual(clock);
          }
          // …and shows in the victim's editor, whole.
          expect(victim.text(), 'the last honest word is not in the editor whole').toContain(peer.lastWord);
          ran('lastValidTextIntact');
        }
        const forbidden = Array.from(victim.root.querySelectorAll('*'))
          .map((el) => el.localName)
          .filter((name) => !RENDER_ALLOWED_TAGS.has(name));
        expect(forbidden).toEqual([]);
        ran('domAllowList');
        const pending = victim.doc.store.pendingStructs;
        const pendingCount = pending ? Y.decodeUpdateV2(pending.update).structs.length : 0;
        expect(pendingCount).toBeLessThanOrEqual(MAX_PENDING_STRUCTS);
        ran('pendingBounded');
        expect(victim.errors.map(String)).toEqual([]);
        expect(victim.editor.isEditable()).toBe(true);
        ran('noEditorErrors');
      }
    } catch (error) {
      throw new Error(`firewall fuzz failed at case ${index} (${caseName}; this round: ${round.join(' ')}); replay with WEFT_SEED=${seed}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      peer.destroy();
      victim.destroy();
      setClientIdSource(null);
    }
    oracle.assertAtLeast();
  }, 600_000);
});
