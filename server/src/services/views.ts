// What the chat services hand to the transports: a conversation as each side sees it (the unread count differs),
// and the notifier through which they announce what they durably changed.
import type { ConversationSummary, Message, Note, Rating } from '@support-chat/protocol';
import { createLogger } from '../log';
import type { ConversationDoc, Side } from '../store/conversations';
import { fromBinary } from '../store/messages';
import { type Actor, otherSide, sideOf } from './actor';
import type { MessageCipher } from './crypto';

const log = createLogger('conversations');

/** A conversation rendered once for each audience. */
export interface ConversationView {
  doc: ConversationDoc;
  forCustomer: ConversationSummary;
  forAgents: ConversationSummary;
}

/** Where services announce what they durably changed; the realtime layer turns it into socket events. */
export interface ChatNotifier {
  conversationUpdated(view: ConversationView): void;
  /** `except`: the connection that sent it (its acknowledgement carries the message already). */
  messageCreated(conversation: ConversationDoc, message: Message, except?: string): void;
  conversationRead(conversation: ConversationDoc, by: Side, seq: number): void;
  /** An internal note: the department's agents only, never the customer (`except`: as for messages). */
  noteCreated(conversation: ConversationDoc, note: Note, except?: string): void;
  /** The customer rated: their sockets and the department's agents. */
  conversationRated(conversation: ConversationDoc, rating: Rating): void;
  /**
   * A transfer moved the conversation from department `from` to its department now: the agents of `from` who are
   * not in the new one lose it, and its customer's sockets hear the new department's presence.
   */
  conversationMoved(conversation: ConversationDoc, from: string): void;
}

export const silentNotifier: ChatNotifier = {
  conversationUpdated() {},
  messageCreated() {},
  conversationRead() {},
  noteCreated() {},
  conversationRated() {},
  conversationMoved() {},
};

/** The side's unread count: the other side's messages after the side's read cursor. */
export const unreadFor = (doc: ConversationDoc, side: Side): number =>
  Math.max(0, doc.counts[otherSide(side)] - doc.readCounts[side]);

/** The text of the conversation's newest message, when the caller has it in clear already. */
export interface KnownText {
  seq: number;
  text: string;
}

export class ConversationViews {
  constructor(private readonly cipher: MessageCipher) {}

  private lastText(doc: ConversationDoc, known?: KnownText): string | null {
    const lm = doc.lastMessage;
    if (!lm) return null;
    if (known?.seq === lm.seq) return known.text;
    const text = this.cipher.open(doc._id, lm.seq, {
      ciphertext: fromBinary(lm.ciphertext),
      nonce: fromBinary(lm.nonce),
      keyId: lm.keyId,
    });
    if (text === null) log.error({ conversationId: doc._id, seq: lm.seq }, 'last message does not decrypt');
    return text;
  }

  private summary(doc: ConversationDoc, side: Side, lastText: string | null): ConversationSummary {
    const lm = doc.lastMessage;
    return {
      id: doc._id,
      department: doc.department,
      customer: {
        id: doc.customerId,
        username: doc.customerUsername,
        name: doc.customerDetails?.name ?? null,
        email: doc.customerDetails?.email ?? null,
        verified: doc.customerDetails?.verified ?? null,
      },
      status: doc.status,
      assigneeId: doc.assigneeId,
      lastSeq: doc.lastSeq,
      lastMessage:
        lm && lastText !== null
          ? {
              seq: lm.seq,
              text: lastText,
              senderRole: lm.senderRole,
              createdAt: lm.createdAt.toISOString(),
              ...(lm.kind ? { kind: lm.kind } : {}),
            }
          : null,
      unread: unreadFor(doc, side),
      readSeq: { customer: doc.readSeq.customer, agents: doc.readSeq.agents },
      createdAt: doc.createdAt.toISOString(),
      updatedAt: doc.updatedAt.toISOString(),
    };
  }

  /** The summary with the unread count of whoever asks. */
  summaryFor(actor: Actor, doc: ConversationDoc): ConversationSummary {
    return this.summary(doc, sideOf(actor), this.lastText(doc));
  }

  /** Both sides' summaries, decrypting the newest message once (or not at all when `known` is it). */
  view(doc: ConversationDoc, known?: KnownText): ConversationView {
    const text = this.lastText(doc, known);
    return {
      doc,
      forCustomer: this.summary(doc, 'customer', text),
      forAgents: this.summary(doc, 'agents', text),
    };
  }
}
