// Who is asking, and which conversations they may see: the one access rule every chat service applies.
import { ErrorCode, fail, ok, type Result, type Role } from '@support-chat/protocol';
import type { ConversationDoc, Side } from '../store/conversations';

export type { Side } from '../store/conversations';

/** The authenticated caller, as every transport hands it over. */
export interface Actor {
  id: string;
  username: string;
  role: Role;
  departments: readonly string[];
}

export const sideOf = (actor: Pick<Actor, 'role'>): Side =>
  actor.role === 'customer' ? 'customer' : 'agents';
export const otherSide = (side: Side): Side => (side === 'customer' ? 'agents' : 'customer');

/** Customers see their own conversations; agents every conversation of their departments. */
export const canAccess = (actor: Actor, doc: ConversationDoc): boolean =>
  actor.role === 'customer' ? doc.customerId === actor.id : actor.departments.includes(doc.department);

export const conversationNotFound = () => fail(ErrorCode.notFound, 'No such conversation');

/** The conversation if the actor may see it; an unknown and a foreign id answer the same not_found. */
export async function findAccessible(
  conversations: { findById(id: string): Promise<ConversationDoc | null> },
  actor: Actor,
  id: string,
): Promise<Result<ConversationDoc>> {
  const doc = await conversations.findById(id);
  return doc && canAccess(actor, doc) ? ok(doc) : conversationNotFound();
}
