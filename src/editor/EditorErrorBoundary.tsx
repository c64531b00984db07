import { Component, type ErrorInfo, type ReactNode } from 'react';

type Props = { readonly children: ReactNode };
type State = { readonly error: Error | null };

/**
 * Keeps a broken note from blanking the page: if the editor throws while
 * rendering or binding, the user sees a message (role "alert") instead. The
 * note's data is untouched — it lives in the Y.Doc and storage, not here.
 */
export class EditorErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('[weft] note editor crashed', error, info.componentStack);
  }

  override render(): ReactNode {
    if (this.state.error !== null) {
      return (
        <div className="weft-editor__crash" role="alert">
          <p>This note could not be displayed. Your saved text is not lost: reload the page to try again.</p>
        </div>
      );
    }
    return this.props.children;
  }
}
