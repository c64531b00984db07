/** Rounds of callbacks scheduled by callbacks that one task runs (see runWaiting). */
const MAX_ROUNDS_PER_TASK = 4;

/**
 * Runs callbacks in the task right after the page's next paint (a frame
 * callback posts a message; the message task runs once that frame is drawn),
 * or at once, as a microtask, where nothing paints: no DOM (Node, workers)
 * or a hidden page, which draws no frames — and if the page is hidden while
 * callbacks wait, they run then.
 *
 * Why: storing an edit in IndexedDB costs about as much main-thread time as
 * the editor's own work for a keystroke (bench README, issue 13). Written
 * after the frame that shows the keystroke, it no longer delays what the
 * user sees. A crash then loses at most that frame, well inside the window
 * tests/e2e/faults-crash.spec.ts holds us to; closing the page is covered
 * by the unload journal.
 *
 * One per page (main.tsx), shared by the editors' writes to their docs and
 * storage's writes, and living as long as the page: its listener goes with it.
 */
export class PaintScheduler {
  private readonly channel: MessageChannel | null;
  private waiting: Array<() => void> = [];
  private frameRequested = false;

  constructor() {
    this.channel = paints() ? new MessageChannel() : null;
    if (this.channel) {
      this.channel.port1.onmessage = this.runWaiting;
      document.addEventListener('visibilitychange', this.onVisibilityChange);
    }
  }

  /** Runs `callback` after the next paint (see the class comment). */
  schedule(callback: () => void): void {
    if (this.channel === null || document.visibilityState !== 'visible') {
      queueMicrotask(callback);
      return;
    }
    this.waiting.push(callback);
    if (!this.frameRequested) this.requestFrame();
  }

  private requestFrame(): void {
    const channel = this.channel;
    if (channel === null) return;
    this.frameRequested = true;
    requestAnimationFrame(() => channel.port2.postMessage(null));
  }

  private readonly runWaiting = (): void => {
    // What these callbacks schedule runs in this task too (an edit written to
    // the doc queues its IndexedDB write): the frame it waited for is drawn.
    // Bounded: a callback that always reschedules itself waits for the next frame.
    this.frameRequested = true; // no new frame for what is scheduled meanwhile
    for (let round = 0; round < MAX_ROUNDS_PER_TASK && this.waiting.length > 0; round++) {
      for (const callback of this.waiting.splice(0)) callback();
    }
    this.frameRequested = false;
    if (this.waiting.length > 0) this.requestFrame();
  };

  private readonly onVisibilityChange = (): void => {
    if (document.visibilityState !== 'visible') this.runWaiting();
  };
}

function paints(): boolean {
  return typeof document !== 'undefined' && typeof requestAnimationFrame === 'function' && typeof MessageChannel === 'function';
}
