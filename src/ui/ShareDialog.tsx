import { useEffect, useRef, useState } from 'react';
import { useModalDialog } from './useModalDialog';

type Props = {
  /** The edit link; null when this device holds the note view-only (it can pass on the view link only). */
  link: string | null;
  /** The view-only link. */
  viewLink: string;
  onClose: () => void;
  /** "Stop sharing": removes the note from the relay; rejects with a message for the user. */
  onStopSharing?: () => Promise<void>;
};

/**
 * The note's links: the edit link ("Share link": read-only textbox, copy
 * button, QR code for phones) and the view-only link ("View-only link"). The
 * edit link's fragment carries the note's secret, anyone who has it can read
 * and edit; the view link carries only what reads and verifies. The dialog
 * says so in plain words.
 */
export function ShareDialog({ link: editLink, viewLink, onClose, onStopSharing }: Props) {
  const link = editLink ?? viewLink;
  // Deliberately no auto-select of the link: on Linux a selection becomes the PRIMARY
  // selection, and a later middle-click would paste the secret into a note.
  const dialog = useModalDialog();
  const input = useRef<HTMLInputElement>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const [stopped, setStopped] = useState<string | null>(null);

  const stop = async () => {
    if (!onStopSharing) return;
    try {
      await onStopSharing();
      setStopped('Sharing stopped: the note is no longer kept on the relay. People who have the link keep what they have.');
    } catch (error) {
      setStopped(error instanceof Error ? error.message : String(error));
    }
  };

  useEffect(() => {
    let live = true;
    // SVG, generated locally: the link never leaves the device to draw its QR code.
    // The encoder is its own chunk (loaded when the dialog opens; precached for offline use).
    import('qrcode')
      .then(({ default: QRCode }) => QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 1 }))
      .then((svg) => live && setQr(svg))
      .catch(() => live && setQr(null));
    return () => {
      live = false;
    };
  }, [link]);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('copied');
    } catch {
      input.current?.select();
      setCopied('failed');
    }
  };

  return (
    <dialog ref={dialog} className="share-dialog" aria-labelledby="share-title" onClose={onClose}>
      <h2 id="share-title">Share this note</h2>
      <p className="muted">
        Anyone with the share link can read and edit the note, live between browsers, and later through the relay, which
        keeps the note encrypted for devices that are not online at the same time. Anyone with the view-only link can
        read it and follow every change, but not edit. Keep the links private; the server never sees the note or the
        keys in them.
      </p>
      {editLink !== null && (
        <div className="share-row">
          <input ref={input} type="text" readOnly value={editLink} aria-label="Share link" />
          <button type="button" className="primary" onClick={() => void copy()}>
            Copy link
          </button>
        </div>
      )}
      <div className="share-row">
        <input type="text" readOnly value={viewLink} aria-label="View-only link" />
        <button type="button" onClick={() => void navigator.clipboard.writeText(viewLink).catch(() => undefined)}>
          Copy view-only link
        </button>
      </div>
      <p role="status" className="small muted">
        {copied === 'copied' ? 'Link copied.' : copied === 'failed' ? 'Copy is blocked here: the link is selected, press Ctrl+C.' : ''}
      </p>
      {qr && (
        <figure className="qr">
          {/* The SVG comes from the qrcode library's own encoder, not from user input. */}
          <div role="img" aria-label="QR code of the share link" dangerouslySetInnerHTML={{ __html: qr }} />
        </figure>
      )}
      {stopped !== null && <p role="status" className="small">{stopped}</p>}
      <div className="dialog-actions">
        {onStopSharing && (
          <button type="button" className="danger" onClick={() => void stop()}>
            Stop sharing
          </button>
        )}
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}
