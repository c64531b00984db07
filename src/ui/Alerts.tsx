import type { WeftApp } from '../app/session';
import { useSignal } from './useSignal';

/** App-wide problems, each in its own role="alert" element so screen readers announce it. */
export function Alerts({ app }: { app: WeftApp }) {
  const alerts = useSignal(app.alerts);
  if (alerts.length === 0) return null;
  return (
    <div className="alerts">
      {alerts.map((a) => (
        <div key={a.key} role="alert" className="alert">
          <span>{a.message}</span>
          <button type="button" className="link-button" onClick={() => app.dismissAlert(a.key)}>
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
