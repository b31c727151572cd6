// The inbox: filter mine / waiting / all, by department and by customer search; one row per conversation, newest
// activity first, as a virtualised list that loads the next page as the agent scrolls (SPEC §15).
import { type ConversationsState, isSystemPreview, UnreadBadge } from '@support-chat/client-ui';
import type { ConversationSummary } from '@support-chat/protocol/core';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useRef, useState } from 'react';
import type { ConsoleState, ConsoleStore } from './console-store';
import { assigneeLabel, InboxFilter, shortTime } from './inbox-model';
import type { InboxPagerState } from './inbox-pager';

const filterLabels: Record<InboxFilter, string> = { mine: 'Mine', waiting: 'Waiting', all: 'All' };

/** One row; rendered again only when its own props change (scrolling renders the rows that come into view alone). */
const Row = memo(function Row(props: {
  index: number;
  top: number;
  measure: (element: Element | null) => void;
  conversation: ConversationSummary;
  departmentName: string;
  agentId: string;
  assigneeName: string | null;
  selected: boolean;
  onOpen: (id: string) => void;
}) {
  const c = props.conversation;
  const preview = c.lastMessage
    ? `${c.lastMessage.senderRole === 'customer' || isSystemPreview(c.lastMessage) ? '' : 'Agent: '}${c.lastMessage.text}`
    : 'No messages yet';
  return (
    <li
      ref={props.measure}
      data-index={props.index}
      style={{
        position: 'absolute',
        top: 0,
        left: 0,
        width: '100%',
        transform: `translateY(${props.top}px)`,
      }}
    >
      <button
        type="button"
        className={`row${props.selected ? ' selected' : ''}${c.unread > 0 ? ' has-unread' : ''}`}
        aria-current={props.selected ? 'true' : undefined}
        onClick={() => props.onOpen(c.id)}
        data-conversation-id={c.id}
      >
        <span className="row-top">
          <span className="customer" title={c.customer.username}>
            {c.customer.name ?? c.customer.username}
            {c.customer.verified ? <span className="verified"> · verified</span> : null}
          </span>
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
});

/** Row height before it is measured (three lines: 73 px with the default fonts); rows are measured as they render. */
const ROW_ESTIMATE = 73;
/** Load the next page when fewer than this many loaded rows are left below the view. */
const LOAD_AHEAD = 15;

export function Inbox(props: {
  store: ConsoleStore;
  state: ConsoleState;
  chat: ConversationsState;
  inbox: InboxPagerState;
  rows: ConversationSummary[];
}) {
  const { store, state, chat, inbox, rows } = props;
  const { counts, query } = inbox;
  const status = state.startError ? 'error' : inbox.status;
  const departments = state.user.departments;
  const scroller = useRef<HTMLDivElement>(null);
  const [search, setSearch] = useState(query.search ?? '');
  // Stable between renders while the rows stay the same: the virtualiser lays out every row again (10,000 objects)
  // whenever this function changes, which a new closure per render did on every scroll.
  const getItemKey = useCallback((index: number) => rows[index]?.id ?? index, [rows]);
  const open = useCallback((id: string) => store.open(id), [store]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_ESTIMATE,
    overscan: 8,
    getItemKey,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;
  useEffect(() => {
    if (lastIndex >= rows.length - LOAD_AHEAD) void store.inbox.loadMore();
  }, [lastIndex, rows.length, store]);
  // The search runs when typing pauses.
  useEffect(() => {
    const value = search.trim();
    if (value === (query.search ?? '')) return;
    const timer = setTimeout(() => store.setQuery({ search: value }), 250);
    return () => clearTimeout(timer);
  }, [search, query.search, store]);
  const filterCount: Record<InboxFilter, number> = {
    mine: counts.mine,
    waiting: counts.waiting,
    all: counts.open,
  };

  return (
    <nav className="inbox" aria-label="Inbox">
      <div className="filters">
        <fieldset className="segmented">
          <legend className="visually-hidden">Show</legend>
          {(Object.keys(InboxFilter) as InboxFilter[]).map((filter) => (
            <button
              key={filter}
              type="button"
              aria-pressed={query.filter === filter}
              onClick={() => store.setQuery({ filter })}
              title={filter === 'all' ? 'Open conversations in all your departments' : undefined}
            >
              {filterLabels[filter]} <span className="count">{filterCount[filter]}</span>
            </button>
          ))}
        </fieldset>
        <label className="department-filter">
          Department
          <select
            value={query.department ?? ''}
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
        <label className="inbox-search">
          <span className="visually-hidden">Search customers</span>
          <input
            type="search"
            placeholder="Search customers by name or email"
            value={search}
            maxLength={64}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
      </div>
      {status === 'loading' && (
        <p className="empty" aria-busy="true">
          Loading conversations…
        </p>
      )}
      {status === 'error' && (
        <div className="empty" role="alert">
          <p>Could not load conversations: {state.startError ?? inbox.error}</p>
          <button type="button" onClick={() => void store.inbox.reload()}>
            Try again
          </button>
        </div>
      )}
      {status === 'ready' && rows.length === 0 && (
        <p className="empty">
          {query.search
            ? 'No customer matches that search.'
            : query.filter === 'mine'
              ? 'No conversations assigned to you.'
              : query.filter === 'waiting'
                ? 'Nobody is waiting. Nice work!'
                : 'No conversations yet.'}
        </p>
      )}
      <div className="rows-scroller" ref={scroller}>
        <ul
          className="rows"
          aria-label="Conversations"
          style={{ height: virtualizer.getTotalSize(), position: 'relative' }}
        >
          {items.map((item) => {
            const c = rows[item.index] as ConversationSummary;
            return (
              <Row
                key={item.key}
                index={item.index}
                measure={virtualizer.measureElement}
                top={item.start}
                conversation={c}
                departmentName={store.departmentName(c.department)}
                agentId={state.user.id}
                assigneeName={c.assigneeId ? store.agentName(c.department, c.assigneeId) : null}
                selected={chat.activeId === c.id}
                onOpen={open}
              />
            );
          })}
        </ul>
        {inbox.loadingMore && (
          <p className="loading-more" aria-busy="true">
            Loading more…
          </p>
        )}
        {inbox.error && status === 'ready' && (
          <p className="loading-more" role="alert">
            Could not load more: {inbox.error}{' '}
            <button type="button" onClick={() => void store.inbox.loadMore()}>
              Try again
            </button>
          </p>
        )}
      </div>
    </nav>
  );
}
