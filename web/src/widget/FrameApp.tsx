// The widget's panel (SPEC §10): a thin shell around the shared chat UI (client-ui's MessageList, Composer,
// TypingIndicator, SendNotices over web's ChatStore), with the site's departments only, an optional name and email
// before the first chat, and the identity the shop passes through SupportChat('identify', token).
import {
  AttachmentProvider,
  Composer,
  MessageList,
  RatingPrompt,
  SendNotices,
  TypingIndicator,
  UnreadBadge,
  useStore,
} from '@support-chat/client-ui';
import { ChatClient, type ConnectionState } from '@support-chat/protocol/client';
import { type User, WidgetMessage, type WidgetSite } from '@support-chat/protocol/core';
import { type FormEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { ChatStore, conversationOf, displayedUnread, startedWith, totalUnread } from '../chat-store';
import { type HostCommand, HostLink, loadSite, WidgetSession } from './widget-session';

type Phase =
  | { kind: 'loading' }
  | { kind: 'unavailable' }
  | { kind: 'form'; notice: string | null }
  | { kind: 'required'; notice: string | null }
  | { kind: 'chat'; client: ChatClient; user: User };

const CLOSE_ICON = (
  <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false">
    <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
  </svg>
);

const isVisible = () => document.visibilityState === 'visible';

export function FrameApp({ siteId }: { siteId: string }) {
  const session = useMemo(() => new WidgetSession(siteId), [siteId]);
  const [site, setSite] = useState<WidgetSite | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [panelOpen, setPanelOpen] = useState(false);
  const [wantedDepartment, setWantedDepartment] = useState<string | null>(null);
  const phaseRef = useRef(phase);
  phaseRef.current = phase;
  const siteRef = useRef(site);
  siteRef.current = site;
  const panelOpenRef = useRef(panelOpen);
  panelOpenRef.current = panelOpen;

  const signedOut = useCallback((notice: string | null = null) => {
    const current = phaseRef.current;
    if (current.kind === 'chat') current.client.disconnect();
    const required = siteRef.current?.identity === 'required';
    setPhase(required ? { kind: 'required', notice } : { kind: 'form', notice });
  }, []);

  /** A client for the session's current customer (a new one when the person changed). */
  const connect = useCallback(
    async (user?: User) => {
      const current = phaseRef.current;
      if (current.kind === 'chat' && user && current.user.id === user.id) return;
      if (current.kind === 'chat') current.client.disconnect();
      const client = new ChatClient({ baseUrl: '', getAccessToken: session.accessToken });
      const resumed = await client.resume();
      if (!resumed.ok) {
        signedOut(
          resumed.error.code === 'unavailable' ? 'The chat server cannot be reached right now.' : null,
        );
        return;
      }
      setPhase({ kind: 'chat', client, user: resumed.data.user });
    },
    [session, signedOut],
  );

  const host = useMemo(
    () =>
      new HostLink(
        (c: HostCommand) => void onCommandRef.current(c),
        () => {},
      ),
    [],
  );
  const onCommandRef = useRef<(c: HostCommand) => Promise<void>>(async () => {});
  onCommandRef.current = async (c) => {
    switch (c.command) {
      case 'open':
        setPanelOpen(true);
        return;
      case 'close':
        setPanelOpen(false);
        return;
      case 'department':
        if (typeof c.arg === 'string') setWantedDepartment(c.arg);
        return;
      case 'logout':
        await session.logout();
        signedOut();
        return;
      case 'identify': {
        if (typeof c.arg !== 'string') return;
        const r = await session.identify(c.arg);
        if (r.ok) await connect(r.data.user);
        else if (siteRef.current?.identity === 'required' && phaseRef.current.kind !== 'chat')
          signedOut('We could not confirm your sign-in with the shop. Please sign in again.');
        return;
      }
    }
  };

  // The site first: its origins decide which host may talk to this frame.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const r = await loadSite(siteId);
      if (cancelled) return;
      if (!r.ok) {
        setPhase({ kind: 'unavailable' });
        return;
      }
      setSite(r.data.site);
      siteRef.current = r.data.site;
      host.allow(r.data.site.origins);
      // A visitor from before (storage or cookie) goes straight to the chat; anyone else gets the form.
      await connect();
    })();
    return () => {
      cancelled = true;
    };
  }, [siteId, host, connect]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') host.send(WidgetMessage.close);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [host]);

  // Keyboard users land in the panel's first field when it opens.
  // biome-ignore lint/correctness/useExhaustiveDependencies: again when the panel's content changes (form → chat)
  useEffect(() => {
    if (!panelOpen) return;
    const first = document.querySelector<HTMLElement>(
      '.widget__body textarea:not(:disabled), .widget__body input, .widget__body .department',
    );
    (first ?? document.querySelector<HTMLElement>('.widget__close'))?.focus();
  }, [panelOpen, phase.kind]);

  const close = () => host.send(WidgetMessage.close);

  if (phase.kind === 'chat' && site) {
    return (
      <AttachmentProvider client={phase.client}>
        <WidgetChat
          key={phase.user.id}
          site={site}
          client={phase.client}
          user={phase.user}
          session={session}
          host={host}
          panelOpen={panelOpen}
          wantedDepartment={wantedDepartment}
          onClose={close}
          onSignedOut={() => signedOut()}
        />
      </AttachmentProvider>
    );
  }

  return (
    <div className="widget">
      <WidgetHeader
        title={site?.name ?? 'Chat'}
        subtitle={
          site?.departments.some((d) => d.agentsOnline > 0)
            ? 'We usually reply within a few minutes'
            : 'We’ll reply as soon as we’re back'
        }
        onClose={close}
      />
      <main className="widget__body widget__body--padded">
        {phase.kind === 'loading' ? (
          <p className="loading" role="status">
            <span className="spinner" aria-hidden="true" />
            Loading…
          </p>
        ) : phase.kind === 'unavailable' ? (
          <p role="alert">The chat is not available right now. Please try again later.</p>
        ) : phase.kind === 'required' ? (
          <div className="widget__intro">
            {phase.notice ? (
              <p role="alert" className="notice notice--error">
                {phase.notice}
              </p>
            ) : null}
            <h2 className="widget__lead">Sign in to chat with us</h2>
            <p>Please sign in to your account on {site?.name ?? 'the shop'}, then open the chat again.</p>
          </div>
        ) : phase.kind === 'form' ? (
          <StartForm
            site={site}
            notice={phase.notice}
            onStart={async (details) => {
              const r = await session.start(details);
              if (!r.ok) return r.error.message;
              await connect(r.data.user);
              return null;
            }}
          />
        ) : null}
      </main>
    </div>
  );
}

function WidgetHeader({
  title,
  subtitle,
  onClose,
  onBack,
}: {
  title: string;
  subtitle: React.ReactNode;
  onClose: () => void;
  onBack?: () => void;
}) {
  return (
    <header className="widget__header">
      {onBack ? (
        <button
          type="button"
          className="icon-button widget__back"
          onClick={onBack}
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
      ) : null}
      <div className="widget__heading">
        <h1 className="widget__title">{title}</h1>
        <p className="widget__subtitle">{subtitle}</p>
      </div>
      <button type="button" className="icon-button widget__close" onClick={onClose} aria-label="Close chat">
        {CLOSE_ICON}
      </button>
    </header>
  );
}

function StartForm({
  site,
  notice,
  onStart,
}: {
  site: WidgetSite | null;
  notice: string | null;
  onStart: (details: { name?: string; email?: string }) => Promise<string | null>;
}) {
  const nameId = useId();
  const emailId = useId();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | null>(notice);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const failed = await onStart({
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(email.trim() ? { email: email.trim() } : {}),
    });
    setBusy(false);
    setError(failed);
  };
  const anyoneOnline = site?.departments.some((d) => d.agentsOnline > 0) ?? false;
  return (
    <form className="widget__intro" onSubmit={(e) => void submit(e)}>
      <h2 className="widget__lead">Hi there</h2>
      <p>
        {anyoneOnline
          ? 'Ask us anything — we’re online and usually reply within a few minutes.'
          : 'No one is available right now. Leave us a message and we’ll reply as soon as someone is back.'}
      </p>
      {error ? (
        <p role="alert" className="notice notice--error">
          {error}
        </p>
      ) : null}
      <div className="field">
        <label className="field__label" htmlFor={nameId}>
          Name <span className="field__optional">(optional)</span>
        </label>
        <input
          id={nameId}
          className="field__input"
          autoComplete="name"
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div className="field">
        <label className="field__label" htmlFor={emailId}>
          Email <span className="field__optional">(optional)</span>
        </label>
        <input
          id={emailId}
          className="field__input"
          type="email"
          autoComplete="email"
          maxLength={254}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <p className="field__hint">So we can answer by email if you leave before we reply.</p>
      </div>
      <button type="submit" className="button button--primary button--block" disabled={busy}>
        Start chat
      </button>
    </form>
  );
}

type ConnectionView = 'connected' | 'connecting' | 'reconnecting' | 'offline';
const connectionView = (state: ConnectionState, everConnected: boolean): ConnectionView => {
  if (typeof navigator !== 'undefined' && !navigator.onLine) return 'offline';
  const s = state as string;
  if (s === 'connected') return 'connected';
  if (s === 'offline' || s === 'disconnected' || s === 'closed')
    return everConnected ? 'offline' : 'connecting';
  return everConnected ? 'reconnecting' : 'connecting';
};

const agentsLabel = (n: number) =>
  n === 0 ? 'No one available right now' : n === 1 ? '1 agent online' : `${n} agents online`;

function WidgetChat({
  site,
  client,
  user,
  session,
  host,
  panelOpen,
  wantedDepartment,
  onClose,
  onSignedOut,
}: {
  site: WidgetSite;
  client: ChatClient;
  user: User;
  session: WidgetSession;
  host: HostLink;
  panelOpen: boolean;
  wantedDepartment: string | null;
  onClose: () => void;
  onSignedOut: () => void;
}) {
  const panelOpenRef = useRef(panelOpen);
  panelOpenRef.current = panelOpen;
  const store = useMemo(
    () => new ChatStore(client, user, () => panelOpenRef.current && isVisible()),
    [client, user],
  );
  const page = useStore(store);
  const chat = useStore(store.conversations);
  const offered = site.departments.map((d) => ({
    ...d,
    agentsOnline: page.departments.find((p) => p.id === d.id)?.agentsOnline ?? d.agentsOnline,
  }));
  const single = offered.length === 1 ? (offered[0]?.id ?? null) : null;

  useEffect(() => {
    store.start();
    const onVisibility = () => store.conversations.markActiveRead();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      store.stop();
    };
  }, [store]);

  // One department: straight into it. Otherwise the one the shop asked for, or the visitor's last.
  const offeredIds = site.departments.map((d) => d.id).join(',');
  useEffect(() => {
    const wanted =
      wantedDepartment && offeredIds.split(',').includes(wantedDepartment) ? wantedDepartment : null;
    const target = wanted ?? single;
    if (target) store.select(target);
  }, [store, wantedDepartment, single, offeredIds]);

  // Back from a reload or another tab: the visitor's one conversation is where they left off.
  const summariesReady = chat.summariesStatus === 'ready';
  const onlyConversation = useMemo(() => {
    const ids = offeredIds.split(',');
    const mine = [...chat.summaries.values()].filter((c) => ids.includes(c.department));
    return mine.length === 1 ? (mine[0]?.department ?? null) : null;
  }, [chat.summaries, offeredIds]);
  const resumed = useRef(false);
  useEffect(() => {
    if (!summariesReady || resumed.current) return;
    resumed.current = true;
    if (onlyConversation && !store.getSnapshot().activeDepartment) store.select(onlyConversation);
  }, [summariesReady, onlyConversation, store]);

  useEffect(() => {
    if (panelOpen) store.conversations.markActiveRead();
  }, [panelOpen, store]);

  const unread = totalUnread(page, chat, panelOpen && isVisible());
  useEffect(() => {
    host.send(WidgetMessage.unread, { count: unread });
  }, [unread, host]);

  useEffect(() => {
    if (chat.sessionExpired) onSignedOut();
  }, [chat.sessionExpired, onSignedOut]);

  // The page a conversation started from, once per department and frame.
  const active = page.activeDepartment;
  const activeSummary = active ? conversationOf(chat, active) : undefined;
  const reported = useRef(new Set<string>());
  useEffect(() => {
    if (!active || !activeSummary || !host.pageUrl || reported.current.has(active)) return;
    reported.current.add(active);
    void session.recordPage(active, host.pageUrl, client.accessToken);
  }, [active, activeSummary, host, session, client]);

  const connection = connectionView(chat.connection, chat.everConnected);
  // A transfer may take the conversation to a department the site does not offer: it is still theirs to follow.
  const department =
    offered.find((d) => d.id === active) ??
    (activeSummary ? (page.departments.find((d) => d.id === active) ?? null) : null);

  if (!department) {
    return (
      <div className="widget">
        <WidgetHeader title={site.name} subtitle="Choose who you’d like to talk to" onClose={onClose} />
        <nav className="widget__body" aria-label="Departments">
          <ul className="departments">
            {offered.map((d) => {
              const count = displayedUnread(page, chat, d.id, panelOpen && isVisible());
              return (
                <li key={d.id}>
                  <button
                    type="button"
                    className="department"
                    aria-labelledby={`dep-${d.id}`}
                    aria-describedby={`dep-${d.id}-meta`}
                    onClick={() => store.select(d.id)}
                  >
                    <span className="department__avatar" aria-hidden="true">
                      {d.name.slice(0, 1).toUpperCase()}
                    </span>
                    <span className="department__body">
                      <span className="department__name" id={`dep-${d.id}`}>
                        {d.name}
                      </span>
                      <span className="department__meta" id={`dep-${d.id}-meta`}>
                        <span className={`presence${d.agentsOnline > 0 ? ' presence--online' : ''}`}>
                          {agentsLabel(d.agentsOnline)}
                        </span>
                      </span>
                    </span>
                    <UnreadBadge count={count} />
                  </button>
                </li>
              );
            })}
          </ul>
        </nav>
      </div>
    );
  }

  const id = activeSummary?.id ?? null;
  const view = id ? chat.views[id] : undefined;
  const conversations = store.conversations;
  return (
    <div className="widget">
      <WidgetHeader
        title={department.name}
        subtitle={
          <span className={`presence${department.agentsOnline > 0 ? ' presence--online' : ''}`}>
            {agentsLabel(department.agentsOnline)}
          </span>
        }
        onClose={onClose}
        onBack={single ? undefined : () => store.select(null)}
      />
      {connection === 'reconnecting' || connection === 'offline' ? (
        <p className="banner banner--warning" role="status">
          {connection === 'offline' ? 'You’re offline.' : 'Connection lost, reconnecting…'} Messages you write
          now are sent when the connection is back.
        </p>
      ) : null}
      {department.agentsOnline === 0 ? (
        <NoAgentNotice session={session} client={client} departmentName={department.name} />
      ) : null}
      <SendNotices store={conversations} notice={page.notice} />
      <div className="widget__messages">
        <MessageList
          view={view}
          me={user}
          readSeq={activeSummary?.readSeq.agents ?? 0}
          connected={connection === 'connected'}
          failed={page.opening[department.id] === 'error'}
          start={`This is the start of your conversation with ${startedWith(view?.messages, department.name)}.`}
          empty={
            <div className="empty">
              <p className="empty__title">No messages yet</p>
              <p>
                {department.agentsOnline > 0
                  ? 'Say hello — we usually reply within a few minutes.'
                  : 'Leave a message and we’ll reply here as soon as someone is available.'}
              </p>
            </div>
          }
          onLoadOlder={() => {
            if (id) void conversations.loadOlder(id);
          }}
          onRetryHistory={() => store.retry(department.id)}
          onRetrySend={(clientMsgId) => conversations.retry(clientMsgId)}
          onDiscardSend={(clientMsgId) => conversations.discard(clientMsgId)}
        />
      </div>
      <TypingIndicator name={id ? chat.typing[id] : null} />
      <RatingPrompt
        client={client}
        conversationId={id}
        status={activeSummary?.status}
        connected={connection === 'connected'}
        departmentName={department.name}
      />
      <Composer
        key={id ?? 'none'}
        placeholder="Write a message…"
        disabled={!id}
        conversationId={id ?? undefined}
        onSend={(text, attachments) => {
          if (id) conversations.send(id, text, attachments);
        }}
        onTyping={(isTyping) => {
          if (id) conversations.setTyping(id, isTyping);
        }}
      />
    </div>
  );
}

/** Nobody is online: say so before the visitor writes, and offer an answer by email (SPEC §10). */
function NoAgentNotice({
  session,
  client,
  departmentName,
}: {
  session: WidgetSession;
  client: ChatClient;
  departmentName: string;
}) {
  const emailId = useId();
  const known = session.identity.email;
  const [email, setEmail] = useState('');
  const [saved, setSaved] = useState<string | null>(known);
  return (
    <div className="widget__notice" role="status">
      <p>
        No one from {departmentName} is available right now. Leave a message — it waits for the team, and
        we’ll reply here{saved ? ` and by email to ${saved}` : ''}.
      </p>
      {!saved && !session.identity.verified ? (
        <form
          className="widget__email"
          onSubmit={(e) => {
            e.preventDefault();
            const value = email.trim();
            if (!value) return;
            void session.saveDetails({ email: value }, client.accessToken).then(() => {
              session.identity = { ...session.identity, email: value };
              setSaved(value);
            });
          }}
        >
          <label className="visually-hidden" htmlFor={emailId}>
            Email
          </label>
          <input
            id={emailId}
            className="field__input"
            type="email"
            autoComplete="email"
            placeholder="Your email (optional)"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <button type="submit" className="button button--ghost button--small">
            Save email
          </button>
        </form>
      ) : null}
    </div>
  );
}
