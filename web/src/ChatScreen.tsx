import { AttachmentProvider, useStore } from '@support-chat/client-ui';
import type { ChatClient, ConnectionState } from '@support-chat/protocol/client';
import type { User } from '@support-chat/protocol/core';
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { ConversationView } from './ConversationView';
import { ChatStore, isPageVisible, totalUnread } from './chat-store';
import { DepartmentList } from './DepartmentList';
import { replaceDepartment } from './navigation';

const TITLE = 'Support chat';

/** The open department lives in the URL hash, so a reload or the back button keeps the customer's place. */
const departmentFromHash = (): string | null => {
  const match = /^#\/([a-z][a-z0-9-]{1,31})$/.exec(window.location.hash);
  return match?.[1] ?? null;
};

type ConnectionView = 'connected' | 'connecting' | 'reconnecting' | 'offline';

function connectionView(state: ConnectionState, everConnected: boolean, online: boolean): ConnectionView {
  if (!online) return 'offline';
  const s = state as string;
  if (s === 'connected') return 'connected';
  if (s === 'offline' || s === 'disconnected' || s === 'closed')
    return everConnected ? 'offline' : 'connecting';
  return everConnected ? 'reconnecting' : 'connecting';
}

const CONNECTION_LABEL: Record<ConnectionView, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

function useOnline(): boolean {
  return useSyncExternalStore(
    (notify) => {
      window.addEventListener('online', notify);
      window.addEventListener('offline', notify);
      return () => {
        window.removeEventListener('online', notify);
        window.removeEventListener('offline', notify);
      };
    },
    () => navigator.onLine,
  );
}

export function ChatScreen({
  client,
  user,
  onLoggedOut,
}: {
  client: ChatClient;
  user: User;
  onLoggedOut: (notice: string | null) => void;
}) {
  // A transfer moves the page to the conversation's new department through the hash, like a click would.
  const store = useMemo(() => new ChatStore(client, user, isPageVisible, replaceDepartment), [client, user]);
  const page = useStore(store);
  const chat = useStore(store.conversations);
  const online = useOnline();
  const [pageVisible, setPageVisible] = useState(isPageVisible);
  const [loggingOut, setLoggingOut] = useState(false);

  useEffect(() => {
    store.start();
    store.select(departmentFromHash());
    const onHash = () => store.select(departmentFromHash());
    const onVisibility = () => {
      setPageVisible(isPageVisible());
      store.conversations.markActiveRead();
    };
    window.addEventListener('hashchange', onHash);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('hashchange', onHash);
      document.removeEventListener('visibilitychange', onVisibility);
      store.stop();
      client.disconnect();
    };
  }, [store, client]);

  // Measured by the browser tests: login click to departments shown.
  const departmentsReady = page.departmentsStatus === 'ready';
  useEffect(() => {
    if (departmentsReady) performance.mark('departments:ready');
  }, [departmentsReady]);

  const unread = totalUnread(page, chat, pageVisible);
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) ${TITLE}` : TITLE;
  }, [unread]);
  useEffect(
    () => () => {
      document.title = TITLE;
    },
    [],
  );

  useEffect(() => {
    if (chat.sessionExpired) onLoggedOut('Your session has expired. Please log in again.');
  }, [chat.sessionExpired, onLoggedOut]);

  const logOut = async () => {
    setLoggingOut(true);
    await client.logout();
    history.replaceState(null, '', window.location.pathname + window.location.search);
    onLoggedOut('You have logged out.');
  };

  const connection = connectionView(chat.connection, chat.everConnected, online);
  const active = page.activeDepartment;
  const activeDepartment = page.departments.find((d) => d.id === active) ?? null;

  return (
    <div className="app" data-view={active ? 'conversation' : 'list'}>
      <header className="topbar">
        <div className="topbar__brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="topbar__title">{TITLE}</span>
        </div>
        <p className={`connection connection--${connection}`} role="status" data-testid="connection-state">
          <span className="connection__dot" aria-hidden="true" />
          <span className="connection__label">{CONNECTION_LABEL[connection]}</span>
        </p>
        <div className="topbar__user">
          <span className="topbar__username" title={user.username}>
            {user.username}
          </span>
          <button
            type="button"
            className="button button--ghost button--small"
            onClick={() => void logOut()}
            disabled={loggingOut}
          >
            Log out
          </button>
        </div>
      </header>
      <div className="layout">
        <nav className="sidebar" aria-label="Departments">
          <DepartmentList
            page={page}
            chat={chat}
            pageVisible={pageVisible}
            onRetry={() => void store.refresh()}
          />
        </nav>
        <main className="pane">
          {active ? (
            <AttachmentProvider client={client}>
              <ConversationView
                client={client}
                key={active}
                store={store}
                department={active}
                departmentName={activeDepartment?.name ?? active}
                agentsOnline={activeDepartment?.agentsOnline ?? 0}
                connection={connection}
                me={user}
              />
            </AttachmentProvider>
          ) : (
            <div className="pane__placeholder">
              <span className="pane__placeholder-icon" aria-hidden="true">
                <svg viewBox="0 0 24 24" width="32" height="32" focusable="false" aria-hidden="true">
                  <path
                    d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.4A.5.5 0 0 1 5 19v-3h0A2.5 2.5 0 0 1 4 13.5z"
                    fill="none"
                    stroke="currentColor"
                    strokeWidth="1.6"
                    strokeLinejoin="round"
                  />
                  <path
                    d="M8.5 8.5h7M8.5 11.5h4.5"
                    stroke="currentColor"
                    strokeWidth="1.6"
                    strokeLinecap="round"
                  />
                </svg>
              </span>
              <h1 className="pane__placeholder-title">How can we help?</h1>
              <p>Choose a department to start chatting. We'll keep the conversation here for you.</p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
