// One conversation: header with claim / assign / release / resolve / reopen, history with paging, typing, receipts, reply box.
import type { ConversationSummary, DepartmentAgent, Message } from '@support-chat/protocol';
import type { OutboxItem } from '@support-chat/protocol/client';
import { type KeyboardEvent, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ConsoleSnapshot, ConsoleStore } from './console-store';
import { assigneeLabel } from './inbox-model';
import { MessageText } from './MessageText';

const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function MessageRow(props: { message: Message; readByCustomer: boolean; ownId: string }) {
  const m = props.message;
  const fromCustomer = m.sender.role === 'customer';
  return (
    <li className={`message ${fromCustomer ? 'from-customer' : 'from-agent'}`} data-seq={m.seq}>
      <div className="bubble">
        <MessageText text={m.text} />
      </div>
      <div className="meta">
        <span>
          {fromCustomer ? m.sender.username : m.sender.id === props.ownId ? 'You' : m.sender.username}
        </span>
        <span>{time(m.createdAt)}</span>
        {!fromCustomer && <span className="receipt">{props.readByCustomer ? 'Read' : 'Sent'}</span>}
      </div>
    </li>
  );
}

function PendingRow(props: { item: OutboxItem; onRetry: () => void }) {
  const failed = props.item.status === 'failed';
  return (
    <li className={`message from-agent pending${failed ? ' failed' : ''}`}>
      <div className="bubble">
        <MessageText text={props.item.text} />
      </div>
      <div className="meta">
        {failed ? (
          <>
            <span className="receipt">Not sent</span>
            <button type="button" className="link" onClick={props.onRetry}>
              Retry
            </button>
          </>
        ) : (
          <span className="receipt">Sending…</span>
        )}
      </div>
    </li>
  );
}

function Composer(props: { store: ConsoleStore; conversationId: string; disabled: boolean }) {
  const [text, setText] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  // A fresh box for each conversation, focused so the agent can type at once.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset exactly when the conversation changes
  useEffect(() => {
    setText('');
    ref.current?.focus();
  }, [props.conversationId]);

  const send = () => {
    if (!text.trim()) return;
    props.store.send(text);
    setText('');
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  };
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        ref={ref}
        aria-label="Message"
        placeholder="Reply… (Enter to send, Shift+Enter for a new line)"
        value={text}
        rows={3}
        maxLength={4000 * 2}
        disabled={props.disabled}
        onChange={(e) => {
          setText(e.target.value);
          props.store.setTypingOwn(e.target.value.length > 0);
        }}
        onBlur={() => props.store.setTypingOwn(false)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="primary" disabled={props.disabled || !text.trim()}>
        Send
      </button>
    </form>
  );
}

export function ConversationPane(props: {
  store: ConsoleStore;
  state: ConsoleSnapshot;
  summary: ConversationSummary | null;
}) {
  const { store, state, summary } = props;
  const open = state.open;
  const logRef = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);
  const previousHeight = useRef(0);
  const previousLowest = useRef(0);

  // Keep the view at the bottom for new messages; keep the reading position when older ones are prepended.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on every timeline change
  useLayoutEffect(() => {
    const log = logRef.current;
    if (!log || !open) return;
    const lowest = open.timeline.lowestSeq;
    if (previousLowest.current && lowest < previousLowest.current && !stickToBottom.current) {
      log.scrollTop += log.scrollHeight - previousHeight.current;
    } else if (stickToBottom.current) {
      log.scrollTop = log.scrollHeight;
    }
    previousLowest.current = lowest;
    previousHeight.current = log.scrollHeight;
  }, [open?.version, open?.id, state.outbox.length, state.typing]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset exactly when another conversation opens
  useEffect(() => {
    stickToBottom.current = true;
    previousLowest.current = 0;
  }, [open?.id]);

  if (!open) {
    return (
      <section className="pane pane-empty" aria-label="Conversation">
        <p>Select a conversation.</p>
        <p className="hint">Alt+↑ / Alt+↓ move between conversations.</p>
      </section>
    );
  }

  const agentId = state.user.id;
  const customerName = summary?.customer.username ?? '…';
  const readSeq = summary?.readSeq.customer ?? 0;
  const mine = summary?.assigneeId === agentId;
  const typingName = state.typing[open.id];
  const pending = state.outbox.filter((i) => i.conversationId === open.id);
  const busy = state.busy !== null;

  return (
    <section className="pane" aria-label={`Conversation with ${customerName}`}>
      <header className="pane-header">
        <div>
          <h2>{customerName}</h2>
          <p className="pane-sub">
            {summary ? store.departmentName(summary.department) : ''}
            {summary && (
              <>
                {' · '}
                <span className={`status status-${summary.status}`}>
                  {summary.status === 'open' ? 'Open' : 'Resolved'}
                </span>
                {' · '}
                <span>
                  Assignee: {assigneeLabel(summary, agentId, (id) => store.agentName(summary.department, id))}
                </span>
              </>
            )}
          </p>
        </div>
        {summary && (
          <div className="actions">
            {!mine && (
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  // Claim takes only from the queue; taking over from a colleague is an explicit assign.
                  void (summary.assigneeId === null
                    ? store.act('claim', open.id)
                    : store.assign(open.id, agentId))
                }
              >
                {summary.assigneeId === null ? 'Claim' : 'Assign to me'}
              </button>
            )}
            {summary.assigneeId !== null && (
              <button type="button" disabled={busy} onClick={() => void store.act('release', open.id)}>
                Release to queue
              </button>
            )}
            <AssignPicker
              agents={(state.agents[summary.department] ?? []).filter(
                (a) => a.id !== summary.assigneeId && a.id !== agentId,
              )}
              disabled={busy}
              onAssign={(id) => void store.assign(open.id, id)}
            />
            {summary.status === 'open' ? (
              <button type="button" disabled={busy} onClick={() => void store.act('resolve', open.id)}>
                Resolve
              </button>
            ) : (
              <button type="button" disabled={busy} onClick={() => void store.act('reopen', open.id)}>
                Reopen
              </button>
            )}
          </div>
        )}
      </header>
      {state.actionError && (
        <div className="action-error" role="alert">
          {state.actionError}
          <button type="button" className="link" onClick={() => store.dismissError()}>
            Dismiss
          </button>
        </div>
      )}
      <ol
        className="log"
        role="log"
        aria-label="Messages"
        ref={logRef}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          if (el.scrollTop < 40 && open.hasOlder) void store.loadOlder();
        }}
      >
        {open.hasOlder && (
          <li className="older">
            <button
              type="button"
              className="link"
              disabled={open.loadingOlder}
              onClick={() => void store.loadOlder()}
            >
              {open.loadingOlder ? 'Loading…' : 'Load older messages'}
            </button>
          </li>
        )}
        {open.history === 'loading' && <li className="empty">Loading messages…</li>}
        {open.history === 'error' && (
          <li className="empty" role="alert">
            Could not load the messages.
          </li>
        )}
        {open.history === 'ready' && open.timeline.size === 0 && pending.length === 0 && (
          <li className="empty">No messages yet.</li>
        )}
        {open.timeline.items.map((m) => (
          <MessageRow key={m.seq} message={m} readByCustomer={m.seq <= readSeq} ownId={agentId} />
        ))}
        {pending.map((item) => (
          <PendingRow key={item.clientMsgId} item={item} onRetry={() => store.retry(item.clientMsgId)} />
        ))}
      </ol>
      <p className="typing" aria-live="polite">
        {typingName ? `${typingName} is typing…` : ''}
      </p>
      <Composer store={store} conversationId={open.id} disabled={false} />
    </section>
  );
}

/** "Assign to…": the other agents of the department, online ones marked. */
function AssignPicker(props: {
  agents: readonly DepartmentAgent[];
  disabled: boolean;
  onAssign: (agentId: string) => void;
}) {
  if (props.agents.length === 0) return null;
  return (
    <select
      className="assign-picker"
      aria-label="Assign to"
      value=""
      disabled={props.disabled}
      onChange={(e) => {
        if (e.currentTarget.value) props.onAssign(e.currentTarget.value);
      }}
    >
      <option value="">Assign to…</option>
      {props.agents.map((a) => (
        <option key={a.id} value={a.id}>
          {a.username}
          {a.online ? ' (online)' : ''}
        </option>
      ))}
    </select>
  );
}
