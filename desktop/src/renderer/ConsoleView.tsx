// The console: header, inbox and conversation pane over one ConsoleStore.
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { Session, Settings } from '../common/ipc';
import { ConversationPane } from './ConversationPane';
import { ConsoleStore } from './console-store';
import { desktop } from './desktop-api';
import { Inbox } from './Inbox';
import { inboxRows, neighbourId } from './inbox-model';
import { NoKeychainWarning } from './LoginView';

const connectionLabel = {
  idle: 'Offline',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline — retrying',
} as const;

export function ConsoleView(props: {
  session: Session;
  settings: Settings;
  onLoggedOut: (notice: string | null) => void;
}) {
  const { session, onLoggedOut } = props;
  const [expired, setExpired] = useState(false);
  const store = useMemo(
    () => new ConsoleStore(desktop, session.serverUrl, session.user, () => setExpired(true)),
    [session],
  );
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [startAtLogin, setStartAtLogin] = useState(props.settings.startAtLogin);

  useEffect(() => {
    void store.start();
    const offOpen = desktop.onOpenConversation((id) => void store.openConversation(id));
    const onFocus = () => store.markOpenRead();
    window.addEventListener('focus', onFocus);
    return () => {
      offOpen();
      window.removeEventListener('focus', onFocus);
      store.stop();
    };
  }, [store]);

  useEffect(() => {
    if (expired) onLoggedOut('Your session has ended. Please log in again.');
  }, [expired, onLoggedOut]);

  const rows = useMemo(
    () => inboxRows(state.conversations.values(), state.query, state.user.id),
    [state.conversations, state.query, state.user.id],
  );

  // Alt/Ctrl/Cmd + Up/Down moves between the conversations of the list as filtered.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.altKey || event.ctrlKey || event.metaKey)) return;
      if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
      const next = neighbourId(
        rows,
        store.getSnapshot().open?.id ?? null,
        event.key === 'ArrowDown' ? 1 : -1,
      );
      if (!next) return;
      event.preventDefault();
      void store.openConversation(next);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [rows, store]);

  const logout = async () => {
    await desktop.logout();
    await store.client.logout();
    onLoggedOut(null);
  };

  const toggleStartAtLogin = async (value: boolean) => {
    setStartAtLogin(value);
    const result = await desktop.setSettings({ startAtLogin: value });
    if (result.ok) setStartAtLogin(result.data.startAtLogin);
  };

  const openSummary = state.open ? (state.conversations.get(state.open.id) ?? null) : null;

  return (
    <div className="console">
      <header className="topbar">
        <span className="brand">Support Chat</span>
        <span className={`connection connection-${state.connection}`} role="status">
          {connectionLabel[state.connection]}
        </span>
        <span className="spacer" />
        <label className="toggle">
          <input
            type="checkbox"
            checked={startAtLogin}
            onChange={(e) => void toggleStartAtLogin(e.target.checked)}
          />
          Start at login
        </label>
        <span className="who" title={session.serverUrl}>
          {session.user.username}
        </span>
        <button type="button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      {session.keychain === 'unavailable' && <NoKeychainWarning />}
      <div className="panes">
        <Inbox store={store} state={state} rows={rows} />
        <ConversationPane store={store} state={state} summary={openSummary} />
      </div>
    </div>
  );
}
