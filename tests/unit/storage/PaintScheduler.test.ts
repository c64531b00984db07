// @vitest-environment jsdom
/**
 * PaintScheduler: an edit's write waits for the frame that shows the edit,
 * never longer than the page is visible, and runs at once where nothing paints.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PaintScheduler } from '../../../src/storage/PaintScheduler';

const nextFrameDrawn = (): Promise<void> =>
  new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
  document.dispatchEvent(new Event('visibilitychange'));
}

afterEach(() => {
  setVisibility('visible');
  vi.restoreAllMocks();
});

describe('PaintScheduler', () => {
  it('runs callbacks after the next frame, in order, with one frame request for all of them', async () => {
    const scheduler = new PaintScheduler();
    const frames = vi.spyOn(window, 'requestAnimationFrame');
    const ran: number[] = [];
    scheduler.schedule(() => ran.push(1));
    scheduler.schedule(() => ran.push(2));
    await Promise.resolve();
    await Promise.resolve();
    expect(ran).toEqual([]); // not in the task (or the microtasks) that scheduled them
    expect(frames).toHaveBeenCalledTimes(1);
    await nextFrameDrawn();
    expect(ran).toEqual([1, 2]);
    scheduler.schedule(() => ran.push(3));
    expect(frames).toHaveBeenCalledTimes(3); // ours, the test's wait, ours again
    await nextFrameDrawn();
    expect(ran).toEqual([1, 2, 3]);
  });

  it('runs what waits as soon as the page is hidden (a hidden page draws no frames)', () => {
    const scheduler = new PaintScheduler();
    const ran: string[] = [];
    scheduler.schedule(() => ran.push('edit'));
    setVisibility('hidden');
    expect(ran).toEqual(['edit']);
  });

  it('runs callbacks as microtasks while the page is hidden', async () => {
    setVisibility('hidden');
    const scheduler = new PaintScheduler();
    const frames = vi.spyOn(window, 'requestAnimationFrame');
    const ran: string[] = [];
    scheduler.schedule(() => ran.push('edit'));
    expect(ran).toEqual([]);
    await Promise.resolve();
    expect(ran).toEqual(['edit']);
    expect(frames).not.toHaveBeenCalled();
  });

  it('runs what its callbacks schedule in the same task (an edit written to the doc, then its storage write), with no new frame', async () => {
    const scheduler = new PaintScheduler();
    const frames = vi.spyOn(window, 'requestAnimationFrame');
    const ran: string[] = [];
    scheduler.schedule(() => {
      ran.push('edit written to the doc');
      scheduler.schedule(() => ran.push('stored'));
    });
    await nextFrameDrawn();
    expect(ran).toEqual(['edit written to the doc', 'stored']);
    expect(frames).toHaveBeenCalledTimes(2); // ours and the test's wait: none for 'stored'
  });

  it('a callback that keeps rescheduling itself waits for the next frame after a few rounds', async () => {
    const scheduler = new PaintScheduler();
    let runs = 0;
    const again = (): void => {
      runs++;
      if (runs < 100) scheduler.schedule(again);
    };
    scheduler.schedule(again);
    await nextFrameDrawn();
    const afterOneFrame = runs;
    expect(afterOneFrame).toBeGreaterThan(1);
    expect(afterOneFrame).toBeLessThan(100);
    await nextFrameDrawn();
    expect(runs).toBeGreaterThan(afterOneFrame);
  });
});
