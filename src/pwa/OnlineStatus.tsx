import { useOnline } from './useOnline';

/** Props of `OnlineStatus`. */
export interface OnlineStatusProps {
  className?: string;
}

/**
 * "Online" / "Offline" indicator for the app header, in a live `role="status"` region so screen
 * readers announce the change. Offline is normal for Weft: notes keep saving locally.
 */
export function OnlineStatus({ className }: OnlineStatusProps) {
  const online = useOnline();
  return (
    <span
      role="status"
      className={className}
      data-online={online}
      title={online ? 'Connected to a network.' : 'No network: your edits are saved on this device and sync later.'}
    >
      {online ? 'Online' : 'Offline'}
    </span>
  );
}
