/**
 * The schema firewall: decides whether a Yjs update from outside (a peer, a
 * backup) may be applied to a note's Y.Doc, *before* anything of it reaches
 * the doc, the editor, storage or other peers. An update is accepted or
 * rejected whole: Yjs integrates structs one by one, so an update that failed
 * halfway would stay half-applied.
 *
 * How: the update is decoded (`Y.decodeUpdate`, O(update)), and every new
 * item is placed — its parent resolved through the doc's struct store, or
 * through earlier structs of the same update (an item with no explicit parent
 * inherits its left/right neighbour's) — and checked against the note schema
 * (noteSchema.ts): node types, where they may be, attribute names, value types
 * and ranges, depth. No copy of the doc is made (that would cost O(note) per
 * keystroke). Bounds on size, new client ids (Yjs integrates many clients in
 * quadratic time) and structs waiting for missing dependencies come on top.
 *
 * Missing dependencies: Yjs keeps structs whose dependencies have not arrived
 * as "pending" and integrates them, unchecked, when they do. So the updates
 * accepted with unresolved items are remembered per doc, and every later check
 * validates them again together with the new update (merged): by the time
 * they can integrate, their parents resolve and they get the full check. The
 * doc's own pending structs (e.g. loaded from storage) are merged in the same way.
 */

import * as Y from 'yjs';
import { MAX_MESSAGE_BYTES } from './chunking';
import {
  ELEMENT_RULES,
  MAX_NODE_DEPTH,
  NOTE_ROOT_NAME,
  checkElementAttribute,
  checkElementChild,
  checkTextFormat,
  holdsText,
  isElementType,
} from '../doc/noteSchema';

/** Largest incremental update (typing, a paste) accepted outside the initial sync; a large paste is a few hundred KiB. */
export const MAX_UPDATE_BYTES = 2 * 1024 * 1024;
/** Largest initial-sync update (sync step 2: the whole note); the transport's message limit. */
export const MAX_SYNC_UPDATE_BYTES = MAX_MESSAGE_BYTES;
/**
 * Most client ids an incremental update may introduce. An honest peer's
 * update carries its own id, plus a few more when it relays or merges; Yjs
 * integrates an update's clients in time quadratic in their number.
 */
export const MAX_NEW_CLIENTS_PER_UPDATE = 32;
/**
 * Most new client ids in an initial sync. Every page load is a new client id,
 * so a long-lived note has hundreds; 4,096 integrate in well under a second.
 */
export const MAX_NEW_CLIENTS_PER_SYNC = 4096;
/**
 * Most structs that may wait for missing dependencies (accepted earlier and
 * now together). Honest reordering between peers leaves a handful, briefly;
 * Yjs re-merges the whole pending set on every later update.
 */
export const MAX_PENDING_STRUCTS = 512;
/** Most deletions of not-yet-known structs that may wait (Yjs's pending delete set). */
export const MAX_PENDING_DELETES = 512;

/** Where an update comes from: an initial sync (whole note) or an incremental update. */
export type UpdateKind = 'sync' | 'update';

/**
 * Most accepted updates remembered as not yet integrated per doc (waiting for
 * dependencies, or checked by a transport that applies them later). Beyond it
 * the oldest is forgotten: bounded memory over a complete guarantee for a
 * peer that floods.
 */
export const MAX_REMEMBERED_UPDATES = 64;

/** Options of {@link checkNoteUpdate}. */
export interface CheckOptions {
  /** An initial sync (whole note) or an incremental update (default). */
  readonly kind?: UpdateKind;
  /**
   * The caller applies the update later, not right after the check (y-webrtc
   * applies on a later tick). The firewall then checks the next updates
   * together with this one until it is integrated, so an update that depends
   * on it is placed through it, not waved through as "missing a dependency".
   */
  readonly appliedLater?: boolean;
}

/** Verdict of {@link checkNoteUpdate}. */
export type FirewallVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

type Struct = Y.Item | Y.GC | Y.Skip;

/** What a parent is, as far as the schema cares. */
type Node =
  | { readonly kind: 'element'; readonly type: string; readonly depth: number }
  | { readonly kind: 'text' }
  | { readonly kind: 'other' };

/** Where an item goes: into a node's children (`sub` null) or one of its attributes. */
type Place = { readonly node: Node; readonly sub: string | null } | 'missing' | 'gc';

const ROOT_NODE: Node = { kind: 'element', type: 'root', depth: 0 };
const TEXT_NODE: Node = { kind: 'text' };
const OTHER_NODE: Node = { kind: 'other' };

class Rejection extends Error {}
const reject = (reason: string): never => {
  throw new Rejection(reason);
};

/** Nodes of live types: a type never moves nor changes its name, so the answer is permanent. */
const liveNodes = new WeakMap<Y.AbstractType<unknown>, Node>();

/** Updates accepted with unresolved items, per doc, with the clock each of their clients reaches. */
const unresolved = new WeakMap<Y.Doc, Array<{ update: Uint8Array; reaches: Array<[number, number]>; inFlight: boolean }>>();

const stateOf = (doc: Y.Doc, client: number): number => Y.getState(doc.store, client);

const childNode = (parent: Node, type: Y.AbstractType<unknown>): Node => {
  if (parent.kind !== 'element') return OTHER_NODE;
  if (type instanceof Y.XmlText) return TEXT_NODE;
  if (type instanceof Y.XmlElement) return { kind: 'element', type: type.nodeName, depth: parent.depth + 1 };
  return OTHER_NODE;
};

/** The node of a type already in the doc. Iterative: documents may already be deeply nested. */
function liveNode(doc: Y.Doc, type: Y.AbstractType<unknown>): Node {
  const path: Y.AbstractType<unknown>[] = [];
  let node: Node | undefined;
  for (let t: Y.AbstractType<unknown> | null = type; ; ) {
    node = liveNodes.get(t);
    if (node) break;
    path.push(t);
    const item: Y.Item | null = t._item;
    if (item === null) {
      node = doc.share.get(NOTE_ROOT_NAME) === t ? ROOT_NODE : OTHER_NODE;
      path.pop();
      liveNodes.set(t, node);
      break;
    }
    if (!(item.parent instanceof Y.AbstractType) || item.parentSub !== null) {
      node = OTHER_NODE;
      break;
    }
    t = item.parent;
  }
  for (const t of path.reverse()) {
    node = childNode(node, t);
    liveNodes.set(t, node);
  }
  return node;
}

/** An update's structs by client, each list in clock order, for ID lookups. */
function indexStructs(structs: Struct[]): Map<number, Struct[]> {
  const byClient = new Map<number, Struct[]>();
  for (const struct of structs) {
    let list = byClient.get(struct.id.client);
    if (!list) byClient.set(struct.id.client, (list = []));
    list.push(struct);
  }
  for (const list of byClient.values()) list.sort((a, b) => a.id.clock - b.id.clock);
  return byClient;
}

function findStruct(byClient: Map<number, Struct[]>, id: Y.ID): Struct | null {
  const list = byClient.get(id.client);
  if (!list) return null;
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = list[mid] as Struct;
    if (id.clock < s.id.clock) hi = mid - 1;
    else if (id.clock >= s.id.clock + s.length) lo = mid + 1;
    else return s;
  }
  return null;
}

function findDocStruct(doc: Y.Doc, id: Y.ID): Y.Item | Y.GC | null {
  if (id.clock >= stateOf(doc, id.client)) return null;
  const structs = doc.store.clients.get(id.client);
  if (!structs) return null;
  return structs[Y.findIndexSS(structs, id.clock)] ?? null;
}

/** Resolves item places for one update against one doc. */
class Placer {
  private readonly places = new Map<Y.Item, Place>();

  constructor(
    private readonly doc: Y.Doc,
    private readonly byClient: Map<number, Struct[]>,
  ) {}

  /** The node of the type made by `typeItem` (an item of the update or of the doc). */
  private typeNodeAt(id: Y.ID): { node: Node } | { item: Y.Item } | 'missing' | 'gc' {
    const live = findDocStruct(this.doc, id);
    if (live) {
      // A deleted type is garbage-collected down to ContentDeleted: Yjs then
      // garbage-collects what is inserted into it too (a concurrent delete).
      if (live instanceof Y.GC || live.parent === null || live.content instanceof Y.ContentDeleted) return 'gc';
      if (!(live.content instanceof Y.ContentType)) return reject('parent is not a shared type');
      return { node: liveNode(this.doc, live.content.type) };
    }
    const own = findStruct(this.byClient, id);
    if (!own) return 'missing';
    if (own instanceof Y.GC) return 'gc';
    if (!(own instanceof Y.Item)) return 'missing';
    if (own.content instanceof Y.ContentDeleted) return 'gc';
    if (!(own.content instanceof Y.ContentType) || own.id.clock !== id.clock) return reject('parent is not a shared type');
    return { item: own };
  }

  /**
   * Where `start` goes. Iterative: each item's place follows from one other
   * item's (its left/right neighbour's, or its parent type's), and those
   * chains are as long as the update is deep or long.
   */
  placeOf(start: Y.Item): Place {
    // chain[i] derives from chain[i + 1]: the same place ('sibling') or as a child of its type ('child').
    const chain: Array<{ item: Y.Item; via: 'sibling' | 'child' }> = [];
    const visiting = new Set<Y.Item>();
    let cur = start;
    let base: Place;
    for (;;) {
      const known = this.places.get(cur);
      if (known !== undefined) {
        base = known;
        break;
      }
      if (visiting.has(cur)) {
        base = 'missing'; // a dependency cycle: Yjs can never integrate it
        break;
      }
      visiting.add(cur);
      const parent = cur.parent as Y.ID | string | null | Y.AbstractType<unknown>;
      if (typeof parent === 'string') {
        base = { node: parent === NOTE_ROOT_NAME ? ROOT_NODE : OTHER_NODE, sub: cur.parentSub };
        this.places.set(cur, base);
        break;
      }
      if (parent instanceof Y.ID) {
        const found = this.typeNodeAt(parent);
        if (found === 'missing' || found === 'gc') {
          base = found;
          this.places.set(cur, base);
          break;
        }
        if ('node' in found) {
          base = { node: found.node, sub: cur.parentSub };
          this.places.set(cur, base);
          break;
        }
        chain.push({ item: cur, via: 'child' });
        cur = found.item;
        continue;
      }
      if (parent !== null) return reject('unexpected parent');
      const neighbour = cur.origin ?? cur.rightOrigin;
      if (neighbour === null) return reject('item without parent or neighbour');
      const live = findDocStruct(this.doc, neighbour);
      if (live) {
        base = live instanceof Y.GC || !(live.parent instanceof Y.AbstractType) ? 'gc' : { node: liveNode(this.doc, live.parent), sub: live.parentSub };
        this.places.set(cur, base);
        break;
      }
      const own = findStruct(this.byClient, neighbour);
      if (!(own instanceof Y.Item)) {
        base = own instanceof Y.GC ? 'gc' : 'missing';
        this.places.set(cur, base);
        break;
      }
      chain.push({ item: cur, via: 'sibling' });
      cur = own;
    }
    // `cur` has place `base`; unwind towards `start`.
    let place = base;
    let placeItem = cur;
    for (const { item, via } of chain.reverse()) {
      if (via === 'sibling' || typeof place === 'string') {
        // same place as its neighbour (or as unresolved)
      } else {
        const typeContent = placeItem.content as Y.ContentType;
        place = { node: place.sub === null ? childNode(place.node, typeContent.type) : OTHER_NODE, sub: item.parentSub };
      }
      this.places.set(item, place);
      placeItem = item;
    }
    return place;
  }
}

const isAllowedContent = (content: Y.Item['content']): boolean =>
  content instanceof Y.ContentString ||
  content instanceof Y.ContentFormat ||
  content instanceof Y.ContentAny ||
  content instanceof Y.ContentDeleted ||
  (content instanceof Y.ContentType && (content.type instanceof Y.XmlElement || content.type instanceof Y.XmlText));

/** Checks one item placed in `node`. */
function checkPlaced(item: Y.Item, node: Node, sub: string | null): void {
  const content = item.content;
  if (content instanceof Y.ContentDeleted) return;
  if (node.kind === 'other') reject('content outside the note');
  if (node.kind === 'text') {
    if (sub !== null) reject('attribute on a text run');
    if (content instanceof Y.ContentString) return;
    if (content instanceof Y.ContentFormat) {
      const why = checkTextFormat(content.key, content.value);
      if (why) reject(why);
      return;
    }
    reject('non-text content in a text run');
  }
  if (node.kind !== 'element') return;
  if (sub !== null) {
    if (!(content instanceof Y.ContentAny) || content.arr.length === 0) return reject(`attribute ${sub} is not a plain value`);
    // Several values in one item are successive sets of the attribute that
    // Yjs merged (one client, consecutive clocks: a link's URL updated as it
    // is typed); the last one is the attribute's value. Each must be valid.
    for (const value of content.arr) {
      const why = checkElementAttribute(node.type, sub, value);
      if (why) reject(why);
    }
    return;
  }
  if (!(content instanceof Y.ContentType)) return reject(`${node.type} holds something other than nodes`);
  const type = content.type;
  if (type instanceof Y.XmlText) {
    if (!holdsText(node.type)) reject(`text directly inside ${node.type}`);
    return;
  }
  if (!(type instanceof Y.XmlElement)) return reject('unsupported shared type');
  const why = checkElementChild(node.type, type.nodeName);
  if (why) reject(why);
  if (node.depth + 1 > MAX_NODE_DEPTH) reject(`nesting deeper than ${MAX_NODE_DEPTH}`);
}

/** Checks what can be checked of an item whose place is not known yet (it waits for a dependency). */
function checkUnplaced(item: Y.Item): void {
  const content = item.content;
  if (content instanceof Y.ContentFormat) {
    const why = checkTextFormat(content.key, content.value);
    if (why) reject(why);
  } else if (content instanceof Y.ContentType && content.type instanceof Y.XmlElement) {
    if (!isElementType(content.type.nodeName)) reject(`unknown element type ${JSON.stringify(content.type.nodeName.slice(0, 40))}`);
  } else if (content instanceof Y.ContentAny) {
    const sub = item.parentSub;
    if (sub === null || content.arr.length === 0) return reject('list content of unknown place');
    for (const value of content.arr) {
      if (![...ELEMENT_RULES.keys()].some((type) => checkElementAttribute(type, sub, value) === null)) reject(`bad attribute ${sub}`);
    }
  }
}

function checkDecoded(doc: Y.Doc, update: Uint8Array, kind: UpdateKind): Y.ID[] {
  const { structs, ds } = Y.decodeUpdate(update) as { structs: Struct[]; ds: { clients: Map<number, Array<{ clock: number; len: number }>> } };
  const byClient = indexStructs(structs);
  let newClients = 0;
  for (const client of byClient.keys()) if (stateOf(doc, client) === 0) newClients++;
  const maxNew = kind === 'sync' ? MAX_NEW_CLIENTS_PER_SYNC : MAX_NEW_CLIENTS_PER_UPDATE;
  if (newClients > maxNew) reject(`${newClients} new client ids`);

  // Structs that will wait: after a gap in their client's clocks, or with an unresolved dependency.
  let pending = 0;
  const gapFrom = new Map<number, number>();
  for (const [client, list] of byClient) {
    let expected = stateOf(doc, client);
    for (const s of list) {
      if (s.id.clock > expected || s instanceof Y.Skip) {
        gapFrom.set(client, s.id.clock);
        break;
      }
      expected = Math.max(expected, s.id.clock + s.length);
    }
  }
  const placer = new Placer(doc, byClient);
  const waiting: Y.ID[] = [];
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    // Yjs takes a reference to the item's own client as already integrated
    // (only other clients' are checked for missing): one that points at or
    // past the item itself makes it throw halfway through the update. It
    // resolves the references of structs it already has too (and then skips
    // them), so this holds for every struct, new or not.
    for (const ref of [struct.origin, struct.rightOrigin, struct.parent instanceof Y.ID ? struct.parent : null]) {
      if (ref && ref.client === struct.id.client && ref.clock >= struct.id.clock) reject('reference to a later struct of the same client');
    }
    if (struct.id.clock + struct.length <= stateOf(doc, struct.id.client)) continue; // already integrated
    if (!isAllowedContent(struct.content)) reject(`unsupported content ${struct.content.constructor.name}`);
    const gap = gapFrom.get(struct.id.client);
    const place = placer.placeOf(struct);
    if (place === 'missing' || (gap !== undefined && struct.id.clock >= gap)) {
      pending++;
      waiting.push(struct.id);
      if (place === 'missing') {
        checkUnplaced(struct);
        continue;
      }
    }
    if (place === 'gc') continue;
    checkPlaced(struct, place.node, place.sub);
  }
  if (pending > MAX_PENDING_STRUCTS) reject(`${pending} structs with missing dependencies`);

  let pendingDeletes = 0;
  for (const [client, deletes] of ds.clients) {
    const state = stateOf(doc, client);
    const last = byClient.get(client)?.at(-1);
    const reach = last ? last.id.clock + last.length : 0;
    for (const d of deletes) {
      // Yjs throws halfway through applying an empty range (its encoder of
      // what stays pending refuses a length of 0): refuse it whole here.
      if (!(d.len > 0) || d.clock < 0 || !Number.isSafeInteger(d.clock + d.len)) reject(`a malformed deletion (${d.clock}+${d.len})`);
      if (d.clock + d.len > Math.max(state, reach)) pendingDeletes++;
    }
  }
  if (pendingDeletes > MAX_PENDING_DELETES) reject(`${pendingDeletes} deletions of unknown structs`);
  return waiting;
}

/** The clock range [from, to) each client of `update` covers. */
function rangesOf(update: Uint8Array): Map<number, [number, number]> {
  const ranges = new Map<number, [number, number]>();
  for (const s of Y.decodeUpdate(update).structs as Struct[]) {
    const range = ranges.get(s.id.client);
    if (!range) ranges.set(s.id.client, [s.id.clock, s.id.clock + s.length]);
    else ranges.set(s.id.client, [Math.min(range[0], s.id.clock), Math.max(range[1], s.id.clock + s.length)]);
  }
  return ranges;
}

/**
 * Decides whether `update` (Yjs v1 encoding) may be applied to `doc`, a
 * note's document. Never throws, never changes the doc's content (it may drop
 * structs waiting for dependencies that turned out to be bad). When it returns ok,
 * apply the update right away (before checking another one for the same doc):
 * the verdict remembers accepted updates that wait for dependencies.
 */
export function checkNoteUpdate(doc: Y.Doc, update: Uint8Array, options: CheckOptions = {}): FirewallVerdict {
  const kind = options.kind ?? 'update';
  const limit = kind === 'sync' ? MAX_SYNC_UPDATE_BYTES : MAX_UPDATE_BYTES;
  if (update.byteLength > limit) return { ok: false, reason: `update of ${update.byteLength} bytes` };
  try {
    // Earlier updates still waiting for dependencies are checked again with this one.
    let waiting = unresolved.get(doc) ?? [];
    waiting = waiting.filter(({ reaches }) => reaches.some(([client, clock]) => stateOf(doc, client) < clock));
    const parts = waiting.map((entry) => entry.update);
    const docPending = doc.store.pendingStructs;
    if (docPending) parts.push(Y.convertUpdateFormatV2ToV1(docPending.update));
    let pendingIds: Y.ID[];
    if (parts.length === 0) {
      pendingIds = checkDecoded(doc, update, kind);
    } else {
      try {
        pendingIds = checkDecoded(doc, Y.mergeUpdates([...parts, update]), kind);
      } catch (error) {
        if (!(error instanceof Rejection)) throw error;
        // Something waiting is bad once placed through this update. This
        // update alone may be fine (a hostile peer can park content that
        // depends on an honest peer's next edit): then what waits is dropped
        // — honest structs among it come again with the next sync — and
        // this update is accepted, so waiting content never blocks valid edits.
        // Updates a transport accepted but has not applied yet are not
        // dropped: they will be applied, so this one is checked with them.
        waiting = waiting.filter((entry) => entry.inFlight);
        const inFlight = waiting.map((entry) => entry.update);
        pendingIds = checkDecoded(doc, inFlight.length > 0 ? Y.mergeUpdates([...inFlight, update]) : update, kind);
        doc.store.pendingStructs = null;
      }
    }
    if (options.appliedLater) {
      waiting.push({ update, reaches: [...rangesOf(update)].map(([client, [, to]]) => [client, to]), inFlight: true });
    } else if (pendingIds.length > 0) {
      // Remember this update if some of the waiting structs are its own.
      const ranges = rangesOf(update);
      const own = pendingIds.some((id) => {
        const range = ranges.get(id.client);
        return range !== undefined && id.clock >= range[0] && id.clock < range[1];
      });
      if (own) waiting.push({ update, reaches: [...ranges].map(([client, [, to]]) => [client, to]), inFlight: false });
    }
    if (waiting.length > MAX_REMEMBERED_UPDATES) waiting.splice(0, waiting.length - MAX_REMEMBERED_UPDATES);
    if (waiting.length > 0) unresolved.set(doc, waiting);
    else unresolved.delete(doc);
    return { ok: true };
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, reason: error.message };
    return { ok: false, reason: `undecodable: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * Checks `update` and applies it to `doc` with `origin` only when the firewall
 * accepts it: all or nothing. Returns the verdict.
 */
export function applyCheckedUpdate(doc: Y.Doc, update: Uint8Array, origin: unknown, kind: UpdateKind = 'update'): FirewallVerdict {
  const verdict = checkNoteUpdate(doc, update, { kind });
  if (verdict.ok) Y.applyUpdate(doc, update, origin);
  return verdict;
}
