// Why sends are held back or refused, the same in every shell: the rate-limit countdown (cleared when it ends), the
// notice of a send the server refused at once, beside any notice of the shell's own, and a connection the server
// refuses because the account has too many open.
import { TOO_MANY_CONNECTIONS } from '@support-chat/protocol/core';
import { useEffect, useState } from 'react';
import type { ConversationStore } from './conversation-store';
import { useStore } from './external-store';

/** The current time, ticking twice a second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

export function SendNotices({ store, notice }: { store: ConversationStore; notice?: string | null }) {
  const { rateLimitedUntil, notice: refused, refused: connectionRefused } = useStore(store);
  const now = useNow(rateLimitedUntil !== null);
  const waitSeconds = rateLimitedUntil === null ? 0 : Math.ceil((rateLimitedUntil - now) / 1000);
  useEffect(() => {
    if (rateLimitedUntil !== null && waitSeconds <= 0) store.clearRateLimit();
  }, [rateLimitedUntil, waitSeconds, store]);
  const shown = notice ?? refused;
  return (
    <>
      {connectionRefused === TOO_MANY_CONNECTIONS ? (
        <p className="send-notice" role="status" data-testid="too-many-connections">
          This account is open in too many tabs or windows. Close one and this one connects by itself;
          messages you write wait until then.
        </p>
      ) : null}
      {waitSeconds > 0 ? (
        <p className="send-notice" role="status" data-testid="rate-limited">
          You're sending messages too fast, wait {waitSeconds} s.
        </p>
      ) : null}
      {shown ? (
        <p className="send-notice" role="alert">
          {shown}
        </p>
      ) : null}
    </>
  );
}
