/**
 * The unread count as a pill (99+ past 99). `label` is what a screen reader hears after the number; without it
 * the badge is hidden from them, for shells that describe the count elsewhere (aria-describedby).
 */
export function UnreadBadge({ count, label }: { count: number; label?: string }) {
  if (count <= 0) return null;
  return (
    <span className="unread" data-testid="unread-badge" aria-hidden={label ? undefined : true}>
      {count > 99 ? '99+' : count}
      {label ? <span className="visually-hidden"> {label}</span> : null}
    </span>
  );
}
