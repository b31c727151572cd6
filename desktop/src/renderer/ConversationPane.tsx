// One conversation: header with claim / assign / release / resolve / reopen / transfer over the shared message list,
// typing line and composer.
import {
  AttachmentProvider,
  Composer,
  type ConversationsState,
  MessageList,
  SendNotices,
  TypingIndicator,
} from '@support-chat/client-ui';
import type {
  ConversationCustomer,
  ConversationSummary,
  DepartmentAgent,
  Rating,
  SiteCustomerProfile,
} from '@support-chat/protocol/core';
import { useMemo, useState } from 'react';
import { type AgentToolsState, type AgentToolsStore, fillPlaceholders } from './agent-tools-store';
import type { ConsoleState, ConsoleStore } from './console-store';
import { desktop } from './desktop-api';
import { assigneeLabel } from './inbox-model';
import { RepliesPanel } from './RepliesPanel';
import { TransferDialog } from './TransferDialog';

export function ConversationPane(props: {
  store: ConsoleStore;
  state: ConsoleState;
  chat: ConversationsState;
  summary: ConversationSummary | null;
  tools: AgentToolsStore;
  toolsState: AgentToolsState;
}) {
  const { store, state, chat, summary, tools, toolsState } = props;
  const id = chat.activeId;
  const conversations = store.conversations;
  const [mode, setMode] = useState<'reply' | 'note'>('reply');
  const [repliesOpen, setRepliesOpen] = useState(false);
  /** The conversation whose transfer dialog is open (it may leave the pane before the dialog closes itself). */
  const [transferFor, setTransferFor] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: recomputed when the notes or the outbox change
  const notes = useMemo(
    () => (id ? tools.entriesFor(id) : []),
    [tools, id, toolsState.notes, toolsState.pendingNotes],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: recomputed when the replies or department names change
  const pickerReplies = useMemo(
    () => tools.pickerReplies((d) => store.departmentName(d)),
    [tools, store, toolsState.replies, state.departments],
  );

  if (!id) {
    return (
      <section className="pane pane-empty" aria-label="Conversation">
        {state.paneNotice ? (
          <p className="pane-notice" role="status">
            {state.paneNotice}
          </p>
        ) : null}
        <p>Select a conversation.</p>
        <p className="hint">Alt+↑ / Alt+↓ move between conversations.</p>
      </section>
    );
  }

  const agentId = state.user.id;
  // A website customer's own name when they gave one (the generated username stays beside it, SPEC §10).
  const customer = summary?.customer;
  const customerName = customer ? (customer.name ?? customer.username) : '…';
  const mine = summary?.assigneeId === agentId;
  const rating = toolsState.ratings[id];
  const busy = state.busy !== null;

  return (
    <AttachmentProvider client={store.client}>
      <section className="pane" aria-label={`Conversation with ${customerName}`}>
        <header className="pane-header">
          <div>
            <h2>
              {customerName}
              {customer?.name && <span className="pane-username">{customer.username}</span>}
            </h2>
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
                    Assignee: {assigneeLabel(summary, agentId, (a) => store.agentName(summary.department, a))}
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
                    void (summary.assigneeId === null ? store.act('claim', id) : store.assign(id, agentId))
                  }
                >
                  {summary.assigneeId === null ? 'Claim' : 'Assign to me'}
                </button>
              )}
              {summary.assigneeId !== null && (
                <button type="button" disabled={busy} onClick={() => void store.act('release', id)}>
                  Release to queue
                </button>
              )}
              <AssignPicker
                agents={(state.agents[summary.department] ?? []).filter(
                  (a) => a.id !== summary.assigneeId && a.id !== agentId,
                )}
                disabled={busy}
                onAssign={(a) => void store.assign(id, a)}
              />
              {summary.status === 'open' ? (
                <button type="button" disabled={busy} onClick={() => void store.act('resolve', id)}>
                  Resolve
                </button>
              ) : (
                <button type="button" disabled={busy} onClick={() => void store.act('reopen', id)}>
                  Reopen
                </button>
              )}
              <button type="button" disabled={busy} onClick={() => setTransferFor(id)}>
                Transfer
              </button>
            </div>
          )}
        </header>
        {rating ? <RatingCard rating={rating} /> : null}
        {state.visitors[id] ? (
          <VisitorCard
            visitor={state.visitors[id]}
            live={summary?.customer}
            onOpenLink={(href) => void desktop.openExternal(href)}
          />
        ) : null}
        {state.actionError && (
          <div className="action-error" role="alert">
            {state.actionError}
            <button type="button" className="link-button" onClick={() => store.dismissError()}>
              Dismiss
            </button>
          </div>
        )}
        <SendNotices store={conversations} />
        <MessageList
          key={`log-${id}`}
          view={chat.views[id]}
          me={state.user}
          readSeq={summary?.readSeq.customer ?? 0}
          connected={chat.connection === 'connected'}
          empty={<p className="messages__status">No messages yet.</p>}
          onLoadOlder={() => void conversations.loadOlder(id)}
          onRetryHistory={() => conversations.retryHistory(id)}
          onRetrySend={(clientMsgId) => conversations.retry(clientMsgId)}
          onDiscardSend={(clientMsgId) => conversations.discard(clientMsgId)}
          // Links open in the OS browser (main allows https: only), never in the app's window.
          onOpenLink={(href) => void desktop.openExternal(href)}
          notes={notes}
          onRetryNote={(clientMsgId) => tools.retryNote(clientMsgId)}
          onDiscardNote={(clientMsgId) => tools.discardNote(clientMsgId)}
        />
        <TypingIndicator name={chat.typing[id]} />
        <div className="composer-modes">
          <fieldset className="mode-switch">
            <legend className="visually-hidden">Write a</legend>
            <button type="button" aria-pressed={mode === 'reply'} onClick={() => setMode('reply')}>
              Reply
            </button>
            <button
              type="button"
              aria-pressed={mode === 'note'}
              className="mode-switch__note"
              onClick={() => setMode('note')}
            >
              Internal note
            </button>
          </fieldset>
          {mode === 'note' ? <span className="mode-hint">Only agents see notes.</span> : null}
          <span className="spacer" />
          <button type="button" className="link-button" onClick={() => setRepliesOpen(true)}>
            Canned replies
          </button>
        </div>
        <Composer
          key={`composer-${id}`}
          variant={mode}
          label={mode === 'note' ? 'Internal note' : 'Message'}
          placeholder={
            mode === 'note'
              ? 'Internal note — only agents see this (Enter to add)'
              : 'Reply… (Enter to send, Shift+Enter for a new line, / for canned replies)'
          }
          conversationId={id}
          onSend={(text, attachments) =>
            mode === 'note' ? tools.addNote(id, text) : conversations.send(id, text, attachments)
          }
          onTyping={(isTyping) => {
            if (mode === 'reply' || !isTyping) conversations.setTyping(id, isTyping);
          }}
          replies={pickerReplies}
          fillReply={(text) => fillPlaceholders(text, { customer: customerName, agent: state.user.username })}
        />
        {transferFor === id && summary ? (
          <TransferDialog
            key={`transfer-${id}`}
            departments={Object.entries(state.departments)
              .filter(([d]) => d !== summary.department)
              .map(([d, name]) => ({ id: d, name }))}
            customerName={customerName}
            fromDepartment={store.departmentName(summary.department)}
            onTransfer={(department, note) => store.transfer(id, department, note || undefined)}
            onClose={() => setTransferFor(null)}
          />
        ) : null}
        {repliesOpen ? (
          <RepliesPanel
            tools={tools}
            state={toolsState}
            departmentName={(d) => store.departmentName(d)}
            onClose={() => setRepliesOpen(false)}
          />
        ) : null}
      </section>
    </AttachmentProvider>
  );
}

/** The customer's satisfaction rating of the latest resolved episode. */
function RatingCard({ rating }: { rating: Rating }) {
  return (
    <section className="rating-card" aria-label="Customer rating" data-testid="rating-card">
      <span className="rating-card__stars" aria-hidden="true">
        {'★'.repeat(rating.rating)}
        <span className="rating-card__empty">{'★'.repeat(5 - rating.rating)}</span>
      </span>
      <strong>Rated {rating.rating} of 5</strong>
      {rating.comment ? <q className="rating-card__comment">{rating.comment}</q> : null}
      <time dateTime={rating.createdAt}>{new Date(rating.createdAt).toLocaleString()}</time>
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

/** Who a website's customer is: the site, verified by the shop or an anonymous visitor, and where they started. */
function VisitorCard(props: {
  visitor: SiteCustomerProfile;
  /** The summary's copy, kept current by conversation:updated (the profile is read when the conversation opens). */
  live?: ConversationCustomer;
  onOpenLink: (href: string) => void;
}) {
  const live = props.live;
  const v =
    typeof live?.verified === 'boolean'
      ? { ...props.visitor, name: live.name ?? null, email: live.email ?? null, verified: live.verified }
      : props.visitor;
  const page = v.pageUrl;
  return (
    <section className="visitor-card" aria-label="Customer details">
      <p className="visitor-card__who">
        <span className={`visitor-badge visitor-badge--${v.verified ? 'verified' : 'visitor'}`}>
          {v.verified ? 'Verified' : 'Visitor'}
        </span>
        <strong>{v.name ?? 'No name given'}</strong>
        <span className="visitor-card__username">{v.username}</span>
      </p>
      <dl className="visitor-card__facts">
        <div>
          <dt>Site</dt>
          <dd>{v.site.name}</dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd>{v.email ?? '—'}</dd>
        </div>
        <div>
          <dt>Started on</dt>
          <dd>
            {page ? (
              page.startsWith('https:') ? (
                <button
                  type="button"
                  className="link-button"
                  title={page}
                  onClick={() => props.onOpenLink(page)}
                >
                  {page}
                </button>
              ) : (
                <span title={page}>{page}</span>
              )
            ) : (
              '—'
            )}
          </dd>
        </div>
        {v.linked.length > 0 ? (
          <div>
            <dt>Also wrote as</dt>
            <dd>
              {v.linked.map((l) => `${l.username} (${l.verified ? 'verified' : 'visitor'})`).join(', ')}
            </dd>
          </div>
        ) : null}
      </dl>
    </section>
  );
}
