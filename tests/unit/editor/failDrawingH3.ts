import { HeadingNode } from '@lexical/rich-text';
import type { EditorConfig } from 'lexical';
import { vi } from 'vitest';

/** Captured once: a second spy would otherwise wrap the first. */
const realCreateDOM = HeadingNode.prototype.createDOM;

/**
 * Makes drawing an h3 throw, `times` times (Infinity: always), in every editor that draws (headless
 * ones do not). Undone by `vi.restoreAllMocks()`. `left()` says how many failures remain.
 */
export function failDrawingH3(times: number): { left: () => number } {
  let left = times;
  vi.spyOn(HeadingNode.prototype, 'createDOM').mockImplementation(function (this: HeadingNode, config: EditorConfig) {
    if (left > 0 && this.__tag === 'h3') {
      left--;
      throw new Error('injected: drawing an h3 failed');
    }
    return realCreateDOM.call(this, config);
  });
  return { left: () => left };
}
