/**
 * Tells this browser's other tabs which notes-list entries changed, so they
 * read them again (the entries themselves stay in storage: the message only
 * carries ids). A BroadcastChannel in the browser; tests pass their own
 * channel name (Node has BroadcastChannel too).
 */

/** The BroadcastChannel of notes-list changes (a new name: pre-issue-21 tabs sent Y.Doc updates on `weft:index`). */
export const INDEX_CHANNEL_NAME = 'weft:notes-index';

export interface IndexChannel {
  /** Tells the other tabs that these entries changed. */
  post(ids: readonly string[]): void;
  /** Calls `listener` with the ids another tab changed; returns the disposer. */
  subscribe(listener: (ids: readonly string[]) => void): () => void;
  close(): void;
}

/** The browser's channel. Messages that are not a list of ids (another app version) are ignored. */
export class BroadcastIndexChannel implements IndexChannel {
  private readonly channel: BroadcastChannel;

  constructor(name: string = INDEX_CHANNEL_NAME) {
    this.channel = new BroadcastChannel(name);
  }

  post(ids: readonly string[]): void {
    if (ids.length > 0) this.channel.postMessage({ ids: [...ids] });
  }

  subscribe(listener: (ids: readonly string[]) => void): () => void {
    const onMessage = (event: MessageEvent) => {
      const ids: unknown = (event.data as { ids?: unknown } | null)?.ids;
      if (Array.isArray(ids)) listener(ids.filter((id): id is string => typeof id === 'string'));
    };
    this.channel.addEventListener('message', onMessage);
    return () => this.channel.removeEventListener('message', onMessage);
  }

  close(): void {
    this.channel.close();
  }
}
