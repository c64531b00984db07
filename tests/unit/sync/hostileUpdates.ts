/**
 * Well-formed but hostile Yjs updates against a note doc, as a peer holding
 * the link could send them (the cases of the "a shared note survives anything
 * a peer can send" issue). Each is computed against `base`: a scratch copy of
 * it is edited with plain Yjs calls and the difference encoded.
 */
import * as Y from 'yjs';
import { NOTE_ROOT_NAME } from '../../../src/doc/noteSchema';

let nextClientId: (() => number) | null = null;

/** Makes the client ids of the helpers' scratch docs come from `source` (seeded tests); null = Yjs's random ids. */
export function setClientIdSource(source: (() => number) | null): void {
  nextClientId = source;
}

/** A scratch doc (its client id from the seeded source when one is set). */
export function scratchDoc(): Y.Doc {
  const doc = new Y.Doc();
  if (nextClientId) doc.clientID = nextClientId();
  return doc;
}

/** The update that `mutate` makes on a copy of `base` (with a fresh client id unless given). */
export function hostileEdit(base: Y.Doc, mutate: (root: Y.XmlElement, doc: Y.Doc) => void, clientID?: number): Uint8Array {
  const scratch = scratchDoc();
  if (clientID !== undefined) scratch.clientID = clientID;
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(base));
  const before = Y.encodeStateVector(scratch);
  scratch.transact(() => mutate(scratch.get(NOTE_ROOT_NAME, Y.XmlElement), scratch));
  const update = Y.encodeStateAsUpdate(scratch, before);
  scratch.destroy();
  return update;
}

/** A block `type` with `attributes` and one text run. */
export function block(type: string, attributes: Record<string, unknown>, text = 'hostile'): Y.XmlElement {
  const el = new Y.XmlElement(type);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, value as string);
  const run = new Y.XmlText();
  run.insert(0, text);
  el.insert(0, [run]);
  return el;
}

/** Appends a heading whose `__tag` is `tag`. */
export const headingWithTag = (base: Y.Doc, tag: unknown): Uint8Array =>
  hostileEdit(base, (root) => root.insert(root.length, [block('heading', { __tag: tag })]));

/** Appends a paragraph holding an inline element `type` ('link', 'autolink') with `attributes`. */
export const inlineLink = (base: Y.Doc, type: string, attributes: Record<string, unknown>): Uint8Array =>
  hostileEdit(base, (root) => {
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [block(type, attributes)]);
    root.insert(root.length, [p]);
  });

/** Appends a paragraph holding a link whose URL is `url`. */
export const linkWithUrl = (base: Y.Doc, url: unknown): Uint8Array => inlineLink(base, 'link', { __url: url });

/** Appends `depth` quotes nested in each other, text at the bottom. */
export const nestedQuotes = (base: Y.Doc, depth: number): Uint8Array =>
  hostileEdit(base, (root) => {
    const top = new Y.XmlElement('quote');
    root.insert(root.length, [top]);
    let cur = top;
    for (let i = 1; i < depth; i++) {
      const next = new Y.XmlElement('quote');
      cur.insert(0, [next]);
      cur = next;
    }
    const run = new Y.XmlText();
    run.insert(0, 'deep');
    cur.insert(0, [run]);
  });

/** One update carrying a one-character insert from each of `clients` new client ids. */
export function manyClients(base: Y.Doc, clients: number, firstId = 1_000_000): Uint8Array {
  const updates: Uint8Array[] = [];
  const scratch = scratchDoc();
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(base));
  for (let i = 0; i < clients; i++) {
    scratch.clientID = firstId + i;
    const before = Y.encodeStateVector(scratch);
    const root = scratch.get(NOTE_ROOT_NAME, Y.XmlElement);
    root.insert(root.length, [block('paragraph', {}, 'x')]);
    updates.push(Y.encodeStateAsUpdate(scratch, before));
  }
  scratch.destroy();
  return Y.mergeUpdates(updates);
}

/**
 * Updates whose dependencies never arrive: `count` paragraphs appended after
 * a block the receiver never gets. Returns [the withheld dependency, the dependent update].
 */
export function missingDependency(base: Y.Doc, count: number, mutateDependent?: (root: Y.XmlElement, last: Y.XmlElement) => void): [Uint8Array, Uint8Array] {
  const scratch = scratchDoc();
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(base));
  const root = scratch.get(NOTE_ROOT_NAME, Y.XmlElement);
  const sv0 = Y.encodeStateVector(scratch);
  root.insert(root.length, [block('paragraph', {}, 'withheld')]);
  const withheld = Y.encodeStateAsUpdate(scratch, sv0);
  const other = scratchDoc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(scratch));
  const sv1 = Y.encodeStateVector(other);
  const otherRoot = other.get(NOTE_ROOT_NAME, Y.XmlElement);
  other.transact(() => {
    for (let i = 0; i < count; i++) otherRoot.insert(otherRoot.length, [block('paragraph', {}, `p${i}`)]);
    mutateDependent?.(otherRoot, otherRoot.get(otherRoot.length - 1) as Y.XmlElement);
  });
  const dependent = Y.encodeStateAsUpdate(other, sv1);
  scratch.destroy();
  other.destroy();
  return [withheld, dependent];
}
