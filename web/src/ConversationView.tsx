import {
  Composer,
  MessageList,
  type RatingClient,
  RatingPrompt,
  SendNotices,
  TypingIndicator,
  useStore,
} from '@support-chat/client-ui';
import type { User } from '@support-chat/protocol/core';
import { useEffect, useId } from 'react';
import { type ChatStore, conversationOf, startedWith } from './chat-store';
import { openDepartment } from './navigation';

type ConnectionView = 'connected' | 'connecting' | 'reconnecting' | 'offline';

export function ConversationView({
  store,
  department,
  departmentName,
  agentsOnline,
  connection,
  me,
  client,
}: {
  client: RatingClient;
  store: ChatStore;
  department: string;
  departmentName: string;
  agentsOnline: number;
  connection: ConnectionView;
  me: User;
}) {
  const page = useStore(store);
  const chat = useStore(store.conversations);
  const conversations = store.conversations;
  const summary = conversationOf(chat, department);
  const id = summary?.id ?? null;
  const view = id ? chat.views[id] : undefined;
  const titleId = useId();

  // Measure "conversation usable" for the performance report read by the browser tests.
  const history = view?.history;
  useEffect(() => {
    if (history === 'ready') performance.mark('conversation:ready');
  }, [history]);

  return (
    <section className="conversation" aria-labelledby={titleId}>
      <header className="conversation__header">
        <button
          type="button"
          className="icon-button conversation__back"
          onClick={() => openDepartment(null)}
          aria-label="Back to departments"
        >
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
            <path
              d="M15 5l-7 7 7 7"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
        </button>
        <span className="department__avatar department__avatar--large" aria-hidden="true">
          {departmentName.slice(0, 1).toUpperCase()}
        </span>
        <div className="conversation__heading">
          <h1 id={titleId} className="conversation__title">
            {departmentName}
          </h1>
          <p className="conversation__subtitle">
            <span className={`presence${agentsOnline > 0 ? ' presence--online' : ''}`}>
              {agentsOnline === 0
                ? 'No agents online — we’ll reply soon'
                : agentsOnline === 1
                  ? '1 agent online'
                  : `${agentsOnline} agents online`}
            </span>
          </p>
        </div>
      </header>

      {connection === 'reconnecting' || connection === 'offline' ? (
        <p className="banner banner--warning">
          {connection === 'offline' ? 'You’re offline.' : 'Connection lost, reconnecting…'} Messages you write
          now are queued and sent when the connection is back.
        </p>
      ) : null}
      <SendNotices store={conversations} notice={page.notice} />
      <MessageList
        view={view}
        me={me}
        readSeq={summary?.readSeq.agents ?? 0}
        connected={connection === 'connected'}
        failed={page.opening[department] === 'error'}
        start={`This is the start of your conversation with ${startedWith(view?.messages, departmentName)}.`}
        empty={
          <div className="empty">
            <p className="empty__title">No messages yet</p>
            <p>
              {agentsOnline > 0
                ? `Say hello — ${departmentName} usually replies within a few minutes.`
                : `Leave a message and ${departmentName} will reply as soon as someone is available.`}
            </p>
          </div>
        }
        onLoadOlder={() => {
          if (id) void conversations.loadOlder(id);
        }}
        onRetryHistory={() => store.retry(department)}
        onRetrySend={(clientMsgId) => conversations.retry(clientMsgId)}
        onDiscardSend={(clientMsgId) => conversations.discard(clientMsgId)}
      />
      <TypingIndicator name={id ? chat.typing[id] : null} />
      <RatingPrompt
        client={client}
        conversationId={id}
        status={summary?.status}
        connected={connection === 'connected'}
        departmentName={departmentName}
      />
      <Composer
        placeholder={`Message ${departmentName}…`}
        disabled={!id}
        conversationId={id ?? undefined}
        onSend={(text, attachments) => {
          if (id) conversations.send(id, text, attachments);
        }}
        onTyping={(isTyping) => {
          if (id) conversations.setTyping(id, isTyping);
        }}
      />
    </section>
  );
}
