// What the owner does, from the console (/api/admin) and from the command line alike: each action runs through
// here and, once it succeeded, is written to the audit log with who did it (SPEC §13). Passwords and secrets never
// reach the log.
import type {
  AdminAgent,
  AdminSite,
  AuditEntry,
  CannedReply,
  Department,
  Result,
  User,
} from '@support-chat/protocol';
import { ErrorCode, fail, ok } from '@support-chat/protocol';
import type { AuditActor, AuditDoc } from '../store/audit';
import type { CannedReplyDoc } from '../store/canned-replies';
import type { Store } from '../store/db';
import type { SiteDoc } from '../store/sites';
import type { AccountService } from './accounts';
import type { NewSite, SiteAdmin, SiteChange } from './widget';

export type { AuditActor } from '../store/audit';

const toSite = (s: SiteDoc): AdminSite => ({
  id: s._id,
  name: s.name,
  origins: s.origins,
  departments: s.departments,
  identity: s.identity,
  createdAt: s.createdAt.toISOString(),
});

const toCannedReply = (d: CannedReplyDoc): CannedReply => ({
  id: d._id.toHexString(),
  department: d.department,
  shortcut: d.shortcut,
  title: d.title,
  text: d.text,
});

const toAuditEntry = (d: AuditDoc): AuditEntry => ({
  id: d._id.toHexString(),
  at: d.at.toISOString(),
  actor: d.actor,
  action: d.action,
  target: d.target,
  ...(d.details ? { details: d.details } : {}),
});

export class OwnerConsole {
  constructor(
    private readonly store: Pick<Store, 'audit' | 'users' | 'departments' | 'cannedReplies'>,
    private readonly accounts: AccountService,
    private readonly sites: () => SiteAdmin,
  ) {}

  /** Runs an action and, when it succeeded, records it. */
  private async audited<T>(
    by: AuditActor,
    action: string,
    target: string,
    details: Record<string, unknown> | undefined,
    run: () => Promise<Result<T>>,
  ): Promise<Result<T>> {
    const result = await run();
    if (result.ok)
      await this.store.audit.insert({
        at: new Date(),
        actor: by,
        action,
        target,
        ...(details ? { details } : {}),
      });
    return result;
  }

  // ---- departments ----

  listDepartments(): Promise<Department[]> {
    return this.accounts.listDepartments();
  }

  createDepartment(by: AuditActor, input: { id: string; name: string }) {
    return this.audited(by, 'department.create', input.id, { name: input.name }, () =>
      this.accounts.createDepartment(input),
    );
  }

  renameDepartment(by: AuditActor, id: string, name: string): Promise<Result<{ id: string; name: string }>> {
    return this.audited(by, 'department.rename', id, { name }, async () =>
      (await this.store.departments.rename(id, name))
        ? ok({ id, name })
        : fail(ErrorCode.notFound, `No department "${id}"`),
    );
  }

  // ---- staff accounts ----

  createOwner(by: AuditActor, input: { username: string; email: string; password: string }) {
    return this.audited(by, 'owner.create', input.username, { email: input.email }, () =>
      this.accounts.createOwner(input),
    );
  }

  async listAgents(): Promise<AdminAgent[]> {
    return (await this.accounts.listAgents()).map((a) => ({
      id: a.id,
      username: a.username,
      email: a.email,
      role: 'agent',
      departments: a.departments,
      disabled: a.disabled,
      createdAt: a.createdAt,
    }));
  }

  /** The username of an agent account by id (the console names agents by id), or a not-found failure. */
  async agentUsername(id: string): Promise<Result<string>> {
    const doc = await this.store.users.findById(id);
    return doc && doc.role === 'agent' ? ok(doc.username) : fail(ErrorCode.notFound, 'No such agent');
  }

  createAgent(
    by: AuditActor,
    input: { username: string; email: string; password: string; departments: string[] },
  ) {
    return this.audited(
      by,
      'agent.create',
      input.username,
      { email: input.email, departments: input.departments },
      () => this.accounts.createAgent(input),
    );
  }

  setDepartments(by: AuditActor, input: { username: string; departments: string[] }) {
    return this.audited(by, 'agent.set_departments', input.username, { departments: input.departments }, () =>
      this.accounts.setDepartments(input),
    );
  }

  resetPassword(by: AuditActor, input: { username: string; password: string }) {
    return this.audited(by, 'user.reset_password', input.username, undefined, () =>
      this.accounts.resetPassword(input),
    );
  }

  disableUser(by: AuditActor, input: { username: string }): Promise<Result<{ user: User }>> {
    return this.audited(by, 'user.disable', input.username, undefined, () =>
      this.accounts.disableUser(input),
    );
  }

  enableUser(by: AuditActor, input: { username: string }): Promise<Result<{ user: User }>> {
    return this.audited(by, 'user.enable', input.username, undefined, () => this.accounts.enableUser(input));
  }

  // ---- sites of the widget ----

  async listSites(): Promise<AdminSite[]> {
    return (await this.sites().listSites()).map(toSite);
  }

  async createSite(by: AuditActor, input: NewSite): Promise<Result<{ site: AdminSite; secret: string }>> {
    const created = await this.audited(
      by,
      'site.create',
      input.id,
      { origins: input.origins, departments: input.departments, identity: input.identity },
      () => this.sites().createSite(input),
    );
    return created.ok ? ok({ site: toSite(created.data.site), secret: created.data.secret }) : created;
  }

  async updateSite(
    by: AuditActor,
    id: string,
    change: SiteChange,
  ): Promise<Result<{ site: AdminSite; visitorSessionsEnded: number }>> {
    const updated = await this.audited(by, 'site.update', id, { ...change }, () =>
      this.sites().updateSite(id, change),
    );
    return updated.ok
      ? ok({ site: toSite(updated.data.site), visitorSessionsEnded: updated.data.visitorSessionsEnded })
      : updated;
  }

  rotateSiteSecret(by: AuditActor, id: string) {
    return this.audited(by, 'site.rotate_secret', id, undefined, () => this.sites().rotateSecret(id));
  }

  endSiteSessions(by: AuditActor, id: string) {
    return this.audited(by, 'site.end_sessions', id, undefined, () => this.sites().endSessions(id));
  }

  // ---- canned replies ----

  async listCannedReplies(department?: string): Promise<CannedReply[]> {
    return (await this.store.cannedReplies.list(department)).map(toCannedReply);
  }

  createCannedReply(
    by: AuditActor,
    input: { department: string; shortcut: string; title: string; text: string },
  ): Promise<Result<{ reply: CannedReply }>> {
    return this.audited(
      by,
      'canned_reply.create',
      `${input.department}/${input.shortcut}`,
      { title: input.title },
      async () => {
        if (!(await this.store.departments.exists(input.department)))
          return fail(ErrorCode.notFound, `No department "${input.department}"`);
        const doc = await this.store.cannedReplies.insert(input);
        return doc
          ? ok({ reply: toCannedReply(doc) })
          : fail(ErrorCode.conflict, `"${input.department}" has a reply "/${input.shortcut}" already`);
      },
    );
  }

  async deleteCannedReply(by: AuditActor, id: string): Promise<Result<{ reply: CannedReply }>> {
    const doc = await this.store.cannedReplies.delete(id);
    if (!doc) return fail(ErrorCode.notFound, 'No such canned reply');
    const reply = toCannedReply(doc);
    await this.store.audit.insert({
      at: new Date(),
      actor: by,
      action: 'canned_reply.delete',
      target: `${reply.department}/${reply.shortcut}`,
    });
    return ok({ reply });
  }

  // ---- the log itself ----

  async auditLog(opts: { limit: number; before?: string }): Promise<AuditEntry[]> {
    return (await this.store.audit.list(opts)).map(toAuditEntry);
  }
}
