import { Component, Fragment, type ErrorInfo, type ReactNode } from 'react';

/** What became of the editor after a render error: drawn again, or replaced by the fallback. */
export type DisplayErrorOutcome = 'redrawn' | 'failed';

type Props = {
  readonly children: ReactNode;
  /** Told about every error caught, and what was done about it. */
  readonly onError?: (error: Error, outcome: DisplayErrorOutcome) => void;
  /**
   * Shown once remounting did not help; `retry` remounts the editor again.
   * Without it, a message tells the user to reload.
   */
  readonly fallback?: (retry: () => void) => ReactNode;
};
type State = { readonly error: Error | null; readonly failed: boolean; readonly generation: number };

/**
 * Remounts within this window, at most: an error that comes back right after
 * a remount will come back again, and each remount reloads the note.
 */
export const MAX_REMOUNTS = 2;
export const REMOUNT_WINDOW_MS = 60_000;

/**
 * Keeps a render error in the editor (a plugin or node throwing while React
 * renders it or runs its effects) from blanking or freezing the page. The
 * first errors remount the editor: it binds the note's document again and
 * draws it from scratch, since the document, not the editor, holds the note.
 * When errors keep coming, `fallback` is shown instead (the note's text,
 * read-only) until the user retries.
 */
export class EditorErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, failed: false, generation: 0 };
  private remounts: number[] = [];

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('[weft] note editor crashed', error, info.componentStack);
    const now = Date.now();
    this.remounts = this.remounts.filter((at) => now - at < REMOUNT_WINDOW_MS);
    if (this.remounts.length < MAX_REMOUNTS) {
      this.remounts.push(now);
      this.setState((state) => ({ error: null, generation: state.generation + 1 }));
      this.props.onError?.(error, 'redrawn');
    } else {
      this.setState({ failed: true });
      this.props.onError?.(error, 'failed');
    }
  }

  private readonly retry = (): void => {
    this.remounts = [];
    this.setState((state) => ({ error: null, failed: false, generation: state.generation + 1 }));
  };

  override render(): ReactNode {
    if (this.state.failed) {
      if (this.props.fallback) return this.props.fallback(this.retry);
      return (
        <div className="weft-editor__crash" role="alert">
          <p>This note could not be displayed. Your saved text is not lost: reload the page to try again.</p>
        </div>
      );
    }
    // Between the error and the remount (one render): nothing.
    if (this.state.error !== null) return null;
    // A new key is a new editor: every plugin and the binding start afresh.
    return <Fragment key={this.state.generation}>{this.props.children}</Fragment>;
  }
}
