// The console: header, inbox and conversation pane over one ConsoleStore.
import { useStore } from '@support-chat/client-ui';
import type { AgentStatus } from '@support-chat/protocol';
import { useEffect, useMemo, useState } from 'react';
import type { AvailabilityInfo, Session, Settings } from '../common/ipc';
import { AgentToolsStore } from './agent-tools-store';
import { ConversationPane } from './ConversationPane';
import { ConsoleStore } from './console-store';
import { desktop } from './desktop-api';
import { Inbox } from './Inbox';
import { neighbourId } from './inbox-model';
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
  const store = useMemo(() => new ConsoleStore(desktop, session.serverUrl, session.user), [session]);
  const state = useStore(store);
  const chat = useStore(store.conversations);
  const tools = useMemo(() => new AgentToolsStore(store.client), [store]);
  const toolsState = useStore(tools);
  const inbox = useStore(store.inbox);
  const [startAtLogin, setStartAtLogin] = useState(props.settings.startAtLogin);
  const [autoAway, setAutoAway] = useState(props.settings.autoAwayMinutes);
  const [availability, setAvailability] = useState<AvailabilityInfo | null>(null);

  // Main decides the status (header, tray menu, auto-away); the server hears it from here.
  useEffect(() => {
    const apply = (info: AvailabilityInfo) => {
      setAvailability(info);
      void store.client.setStatus(info.status);
    };
    const off = desktop.onStatusChanged(apply);
    void desktop.getStatus().then((r) => {
      if (r.ok) apply(r.data);
    });
    return off;
  }, [store]);

  const chooseStatus = async (status: AgentStatus) => {
    const result = await desktop.setStatus(status);
    if (result.ok) {
      setAvailability(result.data);
      void store.client.setStatus(result.data.status);
    }
  };

  const changeAutoAway = async (minutes: number) => {
    setAutoAway(minutes);
    const result = await desktop.setSettings({ autoAwayMinutes: minutes });
    if (result.ok) setAutoAway(result.data.autoAwayMinutes);
  };

  useEffect(() => {
    void store.start();
    const offOpen = desktop.onOpenConversation((id) => store.open(id));
    // Back in view: the open conversation is read now.
    const onFocus = () => store.conversations.markActiveRead();
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onFocus);
    return () => {
      offOpen();
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onFocus);
      store.stop();
    };
  }, [store]);

  useEffect(() => {
    tools.start();
    return () => tools.stop();
  }, [tools]);

  useEffect(() => {
    if (chat.activeId) tools.open(chat.activeId);
  }, [tools, chat.activeId]);

  useEffect(() => {
    if (chat.sessionExpired) onLoggedOut('Your session has ended. Please log in again.');
  }, [chat.sessionExpired, onLoggedOut]);

  const rows = useMemo(
    () => inbox.ids.flatMap((id) => chat.summaries.get(id) ?? []),
    [inbox.ids, chat.summaries],
  );

  // Alt/Ctrl/Cmd + Up/Down moves between the conversations of the list as filtered.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.altKey || event.ctrlKey || event.metaKey)) return;
      if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
      const next = neighbourId(
        rows,
        store.conversations.getSnapshot().activeId,
        event.key === 'ArrowDown' ? 1 : -1,
      );
      if (!next) return;
      event.preventDefault();
      store.open(next);
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

  const openSummary = chat.activeId ? (chat.summaries.get(chat.activeId) ?? null) : null;

  return (
    <div className="console">
      <header className="topbar">
        <span className="brand">Support Chat</span>
        <span className={`connection connection-${chat.connection}`} role="status">
          {connectionLabel[chat.connection]}
        </span>
        <span className="spacer" />
        <label className="availability">
          <span className={`status-dot status-${availability?.status ?? 'available'}`} aria-hidden="true" />
          Status
          <select
            value={availability?.chosen ?? 'available'}
            onChange={(e) => void chooseStatus(e.target.value as AgentStatus)}
          >
            <option value="available">Available</option>
            <option value="away">Away</option>
          </select>
        </label>
        {availability?.auto && availability.chosen === 'available' && (
          <span className="auto-away" role="status">
            {availability.auto === 'locked' ? 'Away: screen locked' : 'Away: idle'}
          </span>
        )}
        <label className="availability">
          Auto-away
          <select value={autoAway} onChange={(e) => void changeAutoAway(Number(e.target.value))}>
            {[0, 5, 10, 15, 30, 60].map((m) => (
              <option key={m} value={m}>
                {m === 0 ? 'Never' : `after ${m} min`}
              </option>
            ))}
          </select>
        </label>
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
        <Inbox store={store} state={state} chat={chat} inbox={inbox} rows={rows} />
        <ConversationPane
          store={store}
          state={state}
          chat={chat}
          summary={openSummary}
          tools={tools}
          toolsState={toolsState}
        />
      </div>
    </div>
  );
}
