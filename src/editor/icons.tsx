/**
 * Toolbar icons as inline SVG: emoji and rare arrow glyphs depend on the
 * platform's fonts (they render as boxes on minimal Linux installs).
 * Decorative only: the buttons carry the accessible names.
 */
type IconProps = { readonly path: string };

function Icon({ path }: IconProps) {
  return (
    <svg
      className="weft-editor__icon"
      viewBox="0 0 24 24"
      width="18"
      height="18"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={path} />
    </svg>
  );
}

/** Counter-clockwise arrow. */
export const UndoIcon = () => <Icon path="M9 14 4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11" />;
/** Clockwise arrow. */
export const RedoIcon = () => <Icon path="m15 14 5-5-5-5M20 9H9.5a5.5 5.5 0 0 0 0 11H13" />;
/** Two chain links. */
export const LinkIcon = () => (
  <Icon path="M10 13a5 5 0 0 0 7.54.54l3-3a5 5 0 0 0-7.07-7.07l-1.72 1.71M14 11a5 5 0 0 0-7.54-.54l-3 3a5 5 0 0 0 7.07 7.07l1.71-1.71" />
);
