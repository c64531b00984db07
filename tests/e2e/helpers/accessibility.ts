/**
 * Accessibility checks shared by the accessibility and phone specs: axe-core
 * (bundled by @axe-core/playwright, nothing fetched at test time) over the
 * whole page, and what axe cannot see — whether keyboard focus is drawn.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** Impacts that fail a screen; "minor" and "moderate" findings are printed, not failed. */
const FAILING = new Set(['serious', 'critical']);

/**
 * Runs axe-core over the page as it is now (open dialogs included) and fails
 * with every serious or critical violation: rule id, impact, summary and the
 * elements it found, so the message says what to fix and where.
 */
export async function expectNoSeriousViolations(page: Page, screen: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const lesser = violations.filter((v) => v.impact == null || !FAILING.has(v.impact));
  if (lesser.length > 0) console.log(`axe on "${screen}", not failed: ${lesser.map((v) => `${v.id} (${v.impact ?? '?'})`).join(', ')}`);
  const failing = violations
    .filter((v) => v.impact != null && FAILING.has(v.impact))
    .map((v) => ({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
    }));
  expect(failing, `serious or critical axe-core violations on "${screen}"`).toEqual([]);
}

/** The relative luminance of a CSS `rgb()`/`rgba()` colour (WCAG 2), for telling light from dark. */
export function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

/** The page's background colour as computed (the app paints `html`). */
export const pageBackground = (page: Page): Promise<string> =>
  page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);

/**
 * Whether the focused element shows that it has focus: an outline or a box
 * shadow on it, or — for a visually hidden file input — on the label that
 * draws it (`:focus-within`).
 */
export async function focusIsVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const drawn = (el: Element | null): boolean => {
      if (el === null) return false;
      const style = getComputedStyle(el);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      return outline || style.boxShadow !== 'none';
    };
    const active = document.activeElement;
    if (active === null || active === document.body) return false;
    return drawn(active) || drawn(active.closest('label'));
  });
}

/** The accessible name the focused element announces (aria-label, its label, or its text). */
export const focusedName = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (el === null) return '';
    const label = el.getAttribute('aria-label') ?? (el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? '';
    return label.replace(/\s+/g, ' ').trim();
  });

/**
 * Presses Tab until the focused element is named `name` (at most `limit`
 * presses), checking on the way that every focused element draws its focus.
 */
export async function tabTo(page: Page, name: string, limit = 40): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const focused = await focusedName(page);
    seen.push(focused);
    expect(await focusIsVisible(page), `focus on "${focused}" is drawn`).toBe(true);
    if (focused === name) return;
  }
  throw new Error(`Tab never reached "${name}"; focus went through: ${seen.join(' → ')}`);
}
