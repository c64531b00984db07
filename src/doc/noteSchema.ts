/**
 * The note document's schema as it is laid out in Yjs by @lexical/yjs's V2
 * binding (see src/doc/noteRoot.ts and @lexical/yjs SyncV2.ts): one
 * `Y.XmlElement` per Lexical element node (its `nodeName` is the node type,
 * its attributes the node's `__*` properties), one `Y.XmlText` per run of
 * sibling text nodes (each text node a formatted range: `t` = its type when
 * not plain text, `p` = its `__*` properties, `i` = a merge breaker), under a
 * top-level `Y.XmlElement` named `'root-v2'`.
 *
 * Pure data and predicates, shared by the update firewall (updateFirewall.ts),
 * the repair of stored notes (repairNoteDoc.ts) and the editor's render
 * allow-list (src/editor/renderAllowList.ts). Every value a peer can put in
 * the document is checked here against what Weft's own editor writes: a
 * value outside these sets never came from an honest Weft peer.
 */

/** Name of the top-level shared type that holds a note (NOTE_ROOT_NAMES.v2). */
export const NOTE_ROOT_NAME = 'root-v2';

/**
 * Deepest element nesting accepted below the root (root children are depth 1).
 * Nested lists are the deepest honest structure (list › listitem › list …, two
 * levels per indent); 64 allows 31 list indents. Lexical renders and
 * reconciles recursively, so thousands of levels overflow the stack.
 */
export const MAX_NODE_DEPTH = 64;
/** Largest `__indent` of a block (each level is one indentation step on screen). */
export const MAX_INDENT = 64;
/** Longest inline style / text style string kept in the document (Weft never sets one; rendering drops them). */
export const MAX_STYLE_CHARS = 1024;
/** Longest link URL, title, target or rel. */
export const MAX_LINK_FIELD_CHARS = 8192;
/** Longest code-block language name. */
export const MAX_LANGUAGE_CHARS = 64;
/** Largest list start / item value (a number a list could plausibly count to). */
export const MAX_LIST_NUMBER = 1_000_000_000;
/** Text format bit-field: bold … capitalize (Lexical's TEXT_TYPE_TO_FORMAT, 11 bits). */
export const MAX_TEXT_FORMAT = (1 << 11) - 1;
/** Element alignment: '' left start center right justify end (Lexical's ELEMENT_TYPE_TO_FORMAT). */
export const MAX_ELEMENT_FORMAT = 6;
/** Text node mode: normal, token, segmented. */
export const MAX_TEXT_MODE = 2;
/** Text node detail bit-field: directionless | unmergeable. */
export const MAX_TEXT_DETAIL = 3;
/** Longest value of a node-state (`s_*`) attribute. */
export const MAX_STATE_VALUE_CHARS = 1024;

/** Heading tags, in the only form a heading may render as. */
export const HEADING_TAGS: ReadonlySet<string> = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** List tags. */
export const LIST_TAGS: ReadonlySet<string> = new Set(['ul', 'ol']);
/** List types (Lexical ListType). */
export const LIST_TYPES: ReadonlySet<string> = new Set(['bullet', 'number', 'check']);

/** A value check for one attribute. */
type Check = (value: unknown) => boolean;

const isInt = (min: number, max: number): Check => (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isString = (maxChars: number): Check => (v) => typeof v === 'string' && v.length <= maxChars;
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null || check(v);
const oneOf =
  (values: ReadonlySet<string>): Check =>
  (v) =>
    typeof v === 'string' && values.has(v);
const isBool: Check = (v) => typeof v === 'boolean';
const isDir: Check = (v) => v === null || v === 'ltr' || v === 'rtl';
const LANGUAGE_PATTERN = /^[A-Za-z0-9_+#.-]*$/;
const isLanguage: Check = (v) => v === null || (typeof v === 'string' && v.length <= MAX_LANGUAGE_CHARS && LANGUAGE_PATTERN.test(v));

/** Properties every element node has (Lexical ElementNode, minus the ones the binding never syncs). */
const ELEMENT_ATTRIBUTES: Readonly<Record<string, Check>> = {
  __format: isInt(0, MAX_ELEMENT_FORMAT),
  __style: isString(MAX_STYLE_CHARS),
  __indent: isInt(0, MAX_INDENT),
  __dir: isDir,
  __textFormat: isInt(0, MAX_TEXT_FORMAT),
  __textStyle: isString(MAX_STYLE_CHARS),
};

const LINK_ATTRIBUTES: Readonly<Record<string, Check>> = {
  ...ELEMENT_ATTRIBUTES,
  // A string, not checked against the URL policy here: notes written before
  // (and markdown shortcuts) may hold `javascript:` URLs that honest peers
  // still send, and rejecting those updates would leave the whole note
  // unsyncable. The policy (safeUrl.ts) is applied wherever a URL is rendered
  // or exported (linkSafety.ts, renderAllowList.ts). A non-string froze the editor.
  __url: isString(MAX_LINK_FIELD_CHARS),
  __target: orNull(isString(MAX_LINK_FIELD_CHARS)),
  __rel: orNull(isString(MAX_LINK_FIELD_CHARS)),
  __title: orNull(isString(MAX_LINK_FIELD_CHARS)),
};

/** How an element type may be placed. */
interface ElementRule {
  /** Attribute name → value check (`s_*` node-state attributes are checked separately). */
  readonly attributes: Readonly<Record<string, Check>>;
  /** May hold text runs (`Y.XmlText`). */
  readonly text: boolean;
  /** Element types it may hold. */
  readonly children: ReadonlySet<string>;
}

const INLINE = ['linebreak', 'link', 'autolink'];
const BLOCKS = ['paragraph', 'heading', 'quote', 'list', 'code'];

/** Schema of each element type. The root element's type is `'root'`. */
export const ELEMENT_RULES: ReadonlyMap<string, ElementRule> = new Map<string, ElementRule>([
  ['root', { attributes: ELEMENT_ATTRIBUTES, text: false, children: new Set(BLOCKS) }],
  ['paragraph', { attributes: ELEMENT_ATTRIBUTES, text: true, children: new Set(INLINE) }],
  ['heading', { attributes: { ...ELEMENT_ATTRIBUTES, __tag: oneOf(HEADING_TAGS) }, text: true, children: new Set(INLINE) }],
  // Blocks inside a quote or list item are not made by Weft's UI, but Lexical
  // accepts them and pasted content can produce them; the depth bound keeps them finite.
  ['quote', { attributes: ELEMENT_ATTRIBUTES, text: true, children: new Set([...INLINE, ...BLOCKS]) }],
  [
    'list',
    {
      attributes: {
        ...ELEMENT_ATTRIBUTES,
        __tag: oneOf(LIST_TAGS),
        __listType: oneOf(LIST_TYPES),
        __start: isInt(0, MAX_LIST_NUMBER),
      },
      text: false,
      children: new Set(['listitem']),
    },
  ],
  [
    'listitem',
    {
      attributes: { ...ELEMENT_ATTRIBUTES, __value: isInt(0, MAX_LIST_NUMBER), __checked: (v) => v === null || isBool(v) },
      text: true,
      children: new Set([...INLINE, ...BLOCKS]),
    },
  ],
  [
    'code',
    {
      attributes: { ...ELEMENT_ATTRIBUTES, __language: isLanguage, __theme: orNull(isString(MAX_LANGUAGE_CHARS)), __isSyntaxHighlightSupported: isBool },
      text: true,
      children: new Set(['linebreak']),
    },
  ],
  ['link', { attributes: LINK_ATTRIBUTES, text: true, children: new Set(['linebreak']) }],
  ['autolink', { attributes: { ...LINK_ATTRIBUTES, __isUnlinked: isBool }, text: true, children: new Set(['linebreak']) }],
  ['linebreak', { attributes: {}, text: false, children: new Set() }],
]);

/** Types a text range may have (`t`; absent = plain `text`). */
export const TEXT_RUN_TYPES: ReadonlySet<string> = new Set(['text', 'tab', 'code-highlight']);

const HIGHLIGHT_PATTERN = /^[A-Za-z0-9_-]*$/;
/** Properties of text nodes (`p` of a text range): the union over TEXT_RUN_TYPES. */
const TEXT_PROPERTIES: Readonly<Record<string, Check>> = {
  __format: isInt(0, MAX_TEXT_FORMAT),
  __style: isString(MAX_STYLE_CHARS),
  __mode: isInt(0, MAX_TEXT_MODE),
  __detail: isInt(0, MAX_TEXT_DETAIL),
  __highlightType: (v) => v === null || (typeof v === 'string' && v.length <= MAX_LANGUAGE_CHARS && HIGHLIGHT_PATTERN.test(v)),
};

const STATE_PREFIX = 's_';

/** A node-state value (`s_*`): Weft's nodes define none; tolerate small primitives a newer Lexical may add. */
const isStateValue: Check = (v) =>
  v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_STATE_VALUE_CHARS);

/** True when `name` is an element type of the schema (other than the root). */
export const isElementType = (name: string): boolean => name !== 'root' && ELEMENT_RULES.has(name);

/** Why an attribute of element type `type` is not acceptable, or null when it is. */
export function checkElementAttribute(type: string, key: string, value: unknown): string | null {
  const rule = ELEMENT_RULES.get(type);
  if (!rule) return `attribute on unknown element ${type}`;
  if (key.startsWith(STATE_PREFIX)) return isStateValue(value) ? null : `bad state ${key} on ${type}`;
  const check = Object.hasOwn(rule.attributes, key) ? rule.attributes[key] : undefined;
  if (!check) return `unknown attribute ${key} on ${type}`;
  // Removing a property (null) resets it to Lexical's default.
  return value === null || check(value) ? null : `bad value of ${key} on ${type}`;
}

/** Why a child element of type `child` may not be in a `parent`, or null when it may. */
export function checkElementChild(parent: string, child: string): string | null {
  const rule = ELEMENT_RULES.get(parent);
  if (!rule) return `child of unknown element ${parent}`;
  if (!isElementType(child)) return `unknown element type ${JSON.stringify(child.slice(0, 40))}`;
  return rule.children.has(child) ? null : `${child} inside ${parent}`;
}

/** True when element type `type` may hold text runs. */
export const holdsText = (type: string): boolean => ELEMENT_RULES.get(type)?.text === true;

/**
 * Why a formatting attribute of a text range is not acceptable, or null when
 * it is. `null` values end a formatted range and are always fine.
 */
export function checkTextFormat(key: string, value: unknown): string | null {
  if (value === null) return null;
  switch (key) {
    case 't':
      return typeof value === 'string' && TEXT_RUN_TYPES.has(value) ? null : 'bad text run type';
    case 'i':
      return typeof value === 'number' && Number.isSafeInteger(value) ? null : 'bad text run marker';
    case 'p': {
      if (typeof value !== 'object' || Array.isArray(value)) return 'text properties not an object';
      for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
        const check = Object.hasOwn(TEXT_PROPERTIES, name) ? TEXT_PROPERTIES[name] : undefined;
        if (!check) return `unknown text property ${name}`;
        if (v !== null && !check(v)) return `bad value of text property ${name}`;
      }
      return null;
    }
    default:
      if (key.startsWith(STATE_PREFIX)) return isStateValue(value) ? null : `bad text state ${key}`;
      return `unknown text attribute ${key}`;
  }
}

/** The value a repair puts in place of a bad required attribute, or null to remove the attribute. */
export function repairValue(type: string, key: string, attributes: Readonly<Record<string, unknown>>): unknown {
  if (type === 'heading' && key === '__tag') return 'h1';
  if (type === 'list' && key === '__tag') return attributes.__listType === 'number' ? 'ol' : 'ul';
  if (type === 'list' && key === '__listType') return attributes.__tag === 'ol' ? 'number' : 'bullet';
  if ((type === 'link' || type === 'autolink') && key === '__url') return 'about:blank';
  return null;
}
