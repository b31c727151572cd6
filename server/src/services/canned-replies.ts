// Canned replies as agents use them (SPEC §12): the departments' (the owner's, read-only here) and each agent's own,
// which they create and delete from the app. Placeholders are filled in by the client that inserts the text.
import { type AgentCannedReply, ErrorCode, fail, ok, type Result } from '@support-chat/protocol';
import type { CannedReplyDoc } from '../store/canned-replies';
import type { Store } from '../store/db';
import { MAX_PERSONAL_REPLIES, type PersonalReplyDoc } from '../store/personal-replies';
import type { Actor } from './actor';

const departmentReply = (d: CannedReplyDoc): AgentCannedReply => ({
  id: d._id.toHexString(),
  scope: 'department',
  department: d.department,
  shortcut: d.shortcut,
  title: d.title,
  text: d.text,
});

const personalReply = (d: PersonalReplyDoc): AgentCannedReply => ({
  id: d._id.toHexString(),
  scope: 'personal',
  department: null,
  shortcut: d.shortcut,
  title: d.title,
  text: d.text,
});

const agentsOnly = () => fail(ErrorCode.forbidden, 'Only agents use canned replies');

export class CannedReplyService {
  constructor(private readonly store: Pick<Store, 'cannedReplies' | 'personalReplies'>) {}

  /** The agent's own replies first, then their departments', each by shortcut. */
  async list(actor: Actor): Promise<Result<{ replies: AgentCannedReply[] }>> {
    if (actor.role !== 'agent') return agentsOnly();
    const [own, ...departments] = await Promise.all([
      this.store.personalReplies.list(actor.id),
      ...actor.departments.map((d) => this.store.cannedReplies.list(d)),
    ]);
    return ok({
      replies: [...(own ?? []).map(personalReply), ...departments.flat().map(departmentReply)],
    });
  }

  async create(
    actor: Actor,
    input: { shortcut: string; title: string; text: string },
  ): Promise<Result<{ reply: AgentCannedReply }>> {
    if (actor.role !== 'agent') return agentsOnly();
    if ((await this.store.personalReplies.count(actor.id)) >= MAX_PERSONAL_REPLIES)
      return fail(ErrorCode.conflict, `You have ${MAX_PERSONAL_REPLIES} replies already; delete some first`);
    const doc = await this.store.personalReplies.insert({ ownerId: actor.id, ...input });
    return doc
      ? ok({ reply: personalReply(doc) })
      : fail(ErrorCode.conflict, `You have a reply with the shortcut "${input.shortcut}" already`);
  }

  /** Only the agent's own; anyone else's (or a department's) answers not_found. */
  async delete(actor: Actor, id: string): Promise<Result<{ reply: AgentCannedReply }>> {
    if (actor.role !== 'agent') return agentsOnly();
    const doc = await this.store.personalReplies.delete(actor.id, id);
    return doc ? ok({ reply: personalReply(doc) }) : fail(ErrorCode.notFound, 'No such canned reply');
  }
}
