import { type ConversationsState, isSystemPreview, UnreadBadge } from '@support-chat/client-ui';
import { conversationOf, displayedUnread, type PageState } from './chat-store';
import { openDepartment } from './navigation';

const agentsLabel = (n: number) =>
  n === 0 ? 'No agents online' : n === 1 ? '1 agent online' : `${n} agents online`;

export function DepartmentList({
  page,
  chat,
  pageVisible,
  onRetry,
}: {
  page: PageState;
  chat: ConversationsState;
  pageVisible: boolean;
  onRetry: () => void;
}) {
  if (page.departmentsStatus === 'loading') {
    return (
      <p className="sidebar__status loading" role="status">
        <span className="spinner" aria-hidden="true" />
        Loading departments…
      </p>
    );
  }
  if (page.departmentsStatus === 'error') {
    return (
      <div className="sidebar__status">
        <p role="alert">We couldn't load the departments.</p>
        <button type="button" className="button button--primary button--small" onClick={onRetry}>
          Try again
        </button>
      </div>
    );
  }
  return (
    <>
      <h2 className="sidebar__title">Departments</h2>
      <ul className="departments">
        {page.departments.map((d) => {
          const unread = displayedUnread(page, chat, d.id, pageVisible);
          const active = page.activeDepartment === d.id;
          const last = conversationOf(chat, d.id)?.lastMessage;
          const nameId = `department-${d.id}-name`;
          const metaId = `department-${d.id}-meta`;
          return (
            <li key={d.id}>
              {/* Named by the display name alone; online agents and unread count are its description. */}
              <button
                type="button"
                className={`department${active ? ' department--active' : ''}${unread > 0 ? ' department--unread' : ''}`}
                aria-current={active ? 'true' : undefined}
                aria-labelledby={nameId}
                aria-describedby={metaId}
                data-department={d.id}
                onClick={() => openDepartment(d.id)}
              >
                <span className="department__avatar" aria-hidden="true">
                  {d.name.slice(0, 1).toUpperCase()}
                </span>
                <span className="department__body">
                  <span className="department__name" id={nameId}>
                    {d.name}
                  </span>
                  <span className="department__meta" id={metaId}>
                    <span className={`presence${d.agentsOnline > 0 ? ' presence--online' : ''}`}>
                      {agentsLabel(d.agentsOnline)}
                    </span>
                    {last ? (
                      <span className="department__last">
                        {last.senderRole === 'customer' && !isSystemPreview(last) ? 'You: ' : ''}
                        {last.text}
                      </span>
                    ) : null}
                    {unread > 0 ? (
                      <span className="visually-hidden">
                        {unread === 1 ? ', 1 unread message' : `, ${unread} unread messages`}
                      </span>
                    ) : null}
                  </span>
                </span>
                <UnreadBadge count={unread} />
              </button>
            </li>
          );
        })}
      </ul>
    </>
  );
}
