// Satisfaction (SPEC §12): once a conversation is resolved its customer may rate the episode that ended (1..5 and an
// optional comment, encrypted at rest), once; agents of the department see it. The rating becomes a report fact
// (SPEC §13) of the day it was given, its department and the agent who held the conversation.
import { ErrorCode, fail, ok, type Rating, type Result } from '@support-chat/protocol';
import { createLogger } from '../log';
import type { ConversationDoc } from '../store/conversations';
import type { Store } from '../store/db';
import { fromBinary, toBinary } from '../store/messages';
import { type RatingDoc, ratingKey } from '../store/ratings';
import { type Actor, findAccessible } from './actor';
import type { MessageCipher } from './crypto';

const log = createLogger('ratings');

/** Comments are sealed apart from messages and notes (their own associated data). */
const ratingScope = (conversationId: string): string => `${conversationId}:rating`;

export interface RatingNotifier {
  /** To the customer's sockets (other tabs drop the prompt) and the department's agents. */
  conversationRated(conversation: ConversationDoc, rating: Rating): void;
}

export interface RatingFacts {
  /** Counts the rating in the reports; resolves once written (or kept for the next flush). */
  rated(department: string, agentId: string | null, rating: number, at: Date): Promise<void>;
}

/** The episode a customer may rate now: the conversation is resolved and its last episode ended. */
const ratableEpisode = (conv: ConversationDoc): number | null =>
  conv.status === 'resolved' && conv.episode?.endedAt ? conv.episode.startSeq : null;

export class RatingService {
  constructor(
    private readonly store: Pick<Store, 'ratings'>,
    private readonly conversations: { findById(id: string): Promise<ConversationDoc | null> },
    private readonly cipher: MessageCipher,
    private readonly notifier: RatingNotifier,
    private readonly facts: RatingFacts,
  ) {}

  private view(doc: RatingDoc): Rating {
    let comment: string | null = null;
    if (doc.comment) {
      comment = this.cipher.open(ratingScope(doc.conversationId), doc.episodeSeq, {
        ciphertext: fromBinary(doc.comment.ciphertext),
        nonce: fromBinary(doc.comment.nonce),
        keyId: doc.comment.keyId,
      });
      if (comment === null)
        log.error({ conversationId: doc.conversationId }, 'rating comment does not decrypt');
    }
    return {
      conversationId: doc.conversationId,
      episodeSeq: doc.episodeSeq,
      rating: doc.rating,
      comment,
      agentId: doc.agentId,
      createdAt: doc.createdAt.toISOString(),
    };
  }

  /** conversation:rate: only the customer, only after resolve, once per resolved episode. */
  async rate(
    actor: Actor,
    input: { conversationId: string; rating: number; comment?: string },
  ): Promise<Result<{ rating: Rating }>> {
    if (actor.role !== 'customer') return fail(ErrorCode.forbidden, 'Only the customer rates a conversation');
    const got = await findAccessible(this.conversations, actor, input.conversationId);
    if (!got.ok) return got;
    const conv = got.data;
    const episodeSeq = ratableEpisode(conv);
    if (episodeSeq === null)
      return fail(ErrorCode.conflict, 'The conversation can be rated once it is resolved');
    const comment = input.comment?.trim() ? input.comment.trim() : null;
    const sealed = comment ? this.cipher.seal(ratingScope(conv._id), episodeSeq, comment) : null;
    const doc: RatingDoc = {
      _id: ratingKey(conv._id, episodeSeq),
      conversationId: conv._id,
      episodeSeq,
      department: conv.department,
      customerId: actor.id,
      agentId: conv.assigneeId,
      rating: input.rating,
      comment: sealed
        ? { ciphertext: toBinary(sealed.ciphertext), nonce: toBinary(sealed.nonce), keyId: sealed.keyId }
        : null,
      createdAt: new Date(),
    };
    if (!(await this.store.ratings.insert(doc)))
      return fail(ErrorCode.conflict, 'This conversation is rated already');
    log.info({ conversationId: conv._id, episodeSeq, customerId: actor.id }, 'conversation rated');
    await this.facts.rated(conv.department, conv.assigneeId, input.rating, doc.createdAt);
    const rating: Rating = { ...this.view(doc), comment };
    this.notifier.conversationRated(conv, rating);
    return ok({ rating });
  }

  /** conversation:rating: the rating of the latest episode (if any), and whether the asker may rate now. */
  async current(
    actor: Actor,
    conversationId: string,
  ): Promise<Result<{ rating: Rating | null; canRate: boolean }>> {
    const got = await findAccessible(this.conversations, actor, conversationId);
    if (!got.ok) return got;
    const conv = got.data;
    const episodeSeq = conv.episode?.startSeq;
    const doc = episodeSeq ? await this.store.ratings.find(conv._id, episodeSeq) : null;
    const canRate = actor.role === 'customer' && !doc && ratableEpisode(conv) !== null;
    return ok({ rating: doc ? this.view(doc) : null, canRate });
  }
}
