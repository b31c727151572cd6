// The inbox: filter mine / waiting / all and by department; one row per conversation, newest activity first.
import { type ConversationsState, UnreadBadge } from '@support-chat/client-ui';
import type { ConversationSummary } from '@support-chat/protocol/core';
import type { ConsoleState, ConsoleStore } from './console-store';
import { assigneeLabel, filterCounts, InboxFilter, shortTime } from './inbox-model';

const filterLabels: Record<InboxFilter, string> = { mine: 'Mine', waiting: 'Waiting', all: 'All' };

function Row(props: {
  conversation: ConversationSummary;
  departmentName: string;
  agentId: string;
  assigneeName: string | null;
  selected: boolean;
  onOpen: () => void;
}) {
  const c = props.conversation;
  const preview = c.lastMessage
    ? `${c.lastMessage.senderRole === 'customer' ? '' : 'Agent: '}${c.lastMessage.text}`
    : 'No messages yet';
  return (
    <li>
      <button
        type="button"
        className={`row${props.selected ? ' selected' : ''}${c.unread > 0 ? ' has-unread' : ''}`}
        aria-current={props.selected ? 'true' : undefined}
        onClick={props.onOpen}
        data-conversation-id={c.id}
      >
        <span className="row-top">
          <span className="customer">{c.customer.username}</span>
          <span className="time">{shortTime(c.lastMessage?.createdAt ?? c.updatedAt)}</span>
        </span>
        <span className="row-middle">
          <span className="preview">{preview}</span>
          <UnreadBadge count={c.unread} label="unread" />
        </span>
        <span className="row-bottom">
          <span className="department">{props.departmentName}</span>
          <span
            className={`assignee assignee-${c.assigneeId === null ? 'none' : c.assigneeId === props.agentId ? 'me' : 'other'}`}
          >
            {assigneeLabel(c, props.agentId, () => props.assigneeName)}
          </span>
          <span className={`status status-${c.status}`}>{c.status === 'open' ? 'Open' : 'Resolved'}</span>
        </span>
      </button>
    </li>
  );
}

export function Inbox(props: {
  store: ConsoleStore;
  state: ConsoleState;
  chat: ConversationsState;
  rows: ConversationSummary[];
}) {
  const { store, state, chat, rows } = props;
  const counts = filterCounts(chat.summaries.values(), state.query.department, state.user.id);
  const status = state.startError ? 'error' : chat.summariesStatus;
  const departments = state.user.departments;

  return (
    <nav className="inbox" aria-label="Inbox">
      <div className="filters">
        <fieldset className="segmented">
          <legend className="visually-hidden">Show</legend>
          {(Object.keys(InboxFilter) as InboxFilter[]).map((filter) => (
            <button
              key={filter}
              type="button"
              aria-pressed={state.query.filter === filter}
              onClick={() => store.setQuery({ filter })}
            >
              {filterLabels[filter]} <span className="count">{counts[filter]}</span>
            </button>
          ))}
        </fieldset>
        <label className="department-filter">
          Department
          <select
            value={state.query.department ?? ''}
            onChange={(e) => store.setQuery({ department: e.target.value || null })}
          >
            <option value="">All my departments</option>
            {departments.map((id) => (
              <option key={id} value={id}>
                {store.departmentName(id)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {status === 'loading' && chat.summaries.size === 0 && (
        <p className="empty" aria-busy="true">
          Loading conversations…
        </p>
      )}
      {status === 'error' && (
        <div className="empty" role="alert">
          <p>Could not load conversations: {state.startError ?? chat.summariesError}</p>
          <button type="button" onClick={() => void store.conversations.loadSummaries()}>
            Try again
          </button>
        </div>
      )}
      {status === 'ready' && rows.length === 0 && (
        <p className="empty">
          {state.query.filter === 'mine'
            ? 'No conversations assigned to you.'
            : state.query.filter === 'waiting'
              ? 'Nobody is waiting. Nice work!'
              : 'No conversations yet.'}
        </p>
      )}
      <ul className="rows" aria-label="Conversations">
        {rows.map((c) => (
          <Row
            key={c.id}
            conversation={c}
            departmentName={store.departmentName(c.department)}
            agentId={state.user.id}
            assigneeName={c.assigneeId ? store.agentName(c.department, c.assigneeId) : null}
            selected={chat.activeId === c.id}
            onOpen={() => store.open(c.id)}
          />
        ))}
      </ul>
    </nav>
  );
}
