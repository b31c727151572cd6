// After a conversation is resolved, its customer is asked how it went (SPEC §12): 1 to 5 stars and an optional
// comment, once per resolution. Shown by the customer page and the widget above the composer; it asks the server
// whether a rating is due (another tab may have given it) and goes away when one is given anywhere.
import type { ChatClient } from '@support-chat/protocol/client';
import type { ConversationStatus } from '@support-chat/protocol/core';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { friendlyError } from './friendly-error';

export type RatingClient = Pick<ChatClient, 'rating' | 'rate' | 'on'>;

const LABELS = ['Very poor', 'Poor', 'Okay', 'Good', 'Excellent'] as const;

type Phase = 'hidden' | 'asking' | 'sending' | 'thanks';

export function RatingPrompt({
  client,
  conversationId,
  status,
  connected,
  departmentName,
}: {
  client: RatingClient;
  conversationId: string | null;
  /** The conversation's status: the prompt is asked for each time it becomes resolved. */
  status: ConversationStatus | undefined;
  connected: boolean;
  departmentName: string;
}) {
  const [phase, setPhase] = useState<Phase>('hidden');
  const [stars, setStars] = useState(0);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const titleId = useId();
  const commentId = useId();
  const name = useId();

  // Resolved (again): is a rating due?
  useEffect(() => {
    if (!conversationId || status !== 'resolved' || !connected) {
      if (status === 'open') setPhase('hidden');
      return;
    }
    let live = true;
    void client.rating(conversationId).then((r) => {
      if (!live || !r.ok) return;
      setPhase((p) => (r.data.canRate ? (p === 'thanks' ? p : 'asking') : p === 'thanks' ? p : 'hidden'));
    });
    return () => {
      live = false;
    };
  }, [client, conversationId, status, connected]);

  // Rated in another tab or window: nothing more to ask here.
  useEffect(
    () =>
      client.on('rated', (rating) => {
        if (rating.conversationId === conversationId) setPhase((p) => (p === 'asking' ? 'hidden' : p));
      }),
    [client, conversationId],
  );

  if (!conversationId || phase === 'hidden') return null;
  if (phase === 'thanks') {
    return (
      <p className="rating-prompt rating-prompt--thanks" role="status">
        Thanks for your feedback!
      </p>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (stars < 1) {
      setError('Choose from 1 to 5 stars.');
      return;
    }
    setPhase('sending');
    setError(null);
    const r = await client.rate(conversationId, stars, comment.trim() || undefined);
    if (r.ok) setPhase('thanks');
    else if (r.error.code === 'conflict') setPhase('hidden');
    else {
      setError(friendlyError(r.error));
      setPhase('asking');
    }
  };

  return (
    <form
      className="rating-prompt"
      aria-labelledby={titleId}
      onSubmit={(e) => void submit(e)}
      data-testid="rating-prompt"
    >
      <p id={titleId} className="rating-prompt__title">
        How did {departmentName} do?
      </p>
      <fieldset className="rating-prompt__stars">
        <legend className="visually-hidden">Your rating</legend>
        {LABELS.map((label, i) => {
          const value = i + 1;
          return (
            <label
              key={label}
              className={`rating-prompt__star${value <= stars ? ' rating-prompt__star--on' : ''}`}
              title={label}
            >
              <input
                type="radio"
                name={name}
                value={value}
                checked={stars === value}
                onChange={() => setStars(value)}
                aria-label={`${value} ${value === 1 ? 'star' : 'stars'}: ${label}`}
              />
              <span aria-hidden="true">★</span>
            </label>
          );
        })}
        <span className="rating-prompt__label" aria-hidden="true">
          {stars ? LABELS[stars - 1] : ''}
        </span>
      </fieldset>
      <label htmlFor={commentId} className="rating-prompt__comment-label">
        Comment (optional)
      </label>
      <textarea
        id={commentId}
        className="rating-prompt__comment"
        rows={2}
        maxLength={1000}
        value={comment}
        onChange={(e) => setComment(e.target.value)}
      />
      {error ? (
        <p className="rating-prompt__error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="rating-prompt__actions">
        <button type="submit" className="button button--primary button--small" disabled={phase === 'sending'}>
          Send rating
        </button>
        <button type="button" className="link-button" onClick={() => setPhase('hidden')}>
          Not now
        </button>
      </div>
    </form>
  );
}
