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
  /** "Revoke links" (editors only): new secrets, so the links above stop working; rejects with a message for the user. */
  onRevoke?: () => Promise<void>;
};

/**
 * The note's links: the edit link ("Share link": read-only textbox, copy
 * button, QR code for phones) and the view-only link ("View-only link"). The
 * edit link's fragment carries the note's secret, anyone who has it can read
 * and edit; the view link carries only what reads and verifies. The dialog
 * says so in plain words.
 */
export function ShareDialog({ link: editLink, viewLink, onClose, onStopSharing, onRevoke }: Props) {
  const link = editLink ?? viewLink;
  // Deliberately no auto-select of the link: on Linux a selection becomes the PRIMARY
  // selection, and a later middle-click would paste the secret into a note.
  const dialog = useModalDialog();
  const input = useRef<HTMLInputElement>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const [stopped, setStopped] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<'idle' | 'confirm' | 'working'>('idle');
  const [revoked, setRevoked] = useState<string | null>(null);

  const revoke = async () => {
    if (!onRevoke) return;
    setRevoking('working');
    try {
      await onRevoke();
      setRevoked('Links revoked. The links above are new: the old ones get no further changes. Send the new link to whoever should keep access.');
    } catch (error) {
      setRevoked(error instanceof Error ? error.message : String(error));
    }
    setRevoking('idle');
  };

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
      {revoking === 'confirm' && (
        <div role="alertdialog" aria-label="Revoke links?" className="revoke-confirm">
          <p className="small">
            Revoke every link to this note, edit and view-only? People who opened them keep the copy they have, but get
            none of your further changes, and you get none of theirs. You get new links to send to whoever should keep
            access.
          </p>
          <button type="button" className="danger" onClick={() => void revoke()}>
            Revoke
          </button>
          <button type="button" onClick={() => setRevoking('idle')}>
            Cancel
          </button>
        </div>
      )}
      {revoked !== null && <p role="status" className="small">{revoked}</p>}
      <div className="dialog-actions">
        {onRevoke && (
          <button type="button" className="danger" disabled={revoking !== 'idle'} onClick={() => setRevoking('confirm')}>
            Revoke links
          </button>
        )}
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
