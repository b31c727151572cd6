// Owner operations (admin CLI) and the public department list: departments, agent accounts, passwords.
import { type Department, ErrorCode, fail, ok, type Result, type User } from '@support-chat/protocol';
import { createLogger } from '../log';
import type { Store } from '../store/db';
import { newUserDoc, type UserDoc } from '../store/users';
import { type AuthService, hashPassword, toUser } from './auth';

const log = createLogger('accounts');

/** Where the agentsOnline numbers come from (the realtime layer knows who is connected). */
export interface PresenceSource {
  agentsOnline(departmentIds: readonly string[]): Promise<Record<string, number>>;
}

export interface AgentSummary extends User {
  email: string;
  disabled: boolean;
  createdAt: string;
}

const toAgentSummary = (doc: UserDoc): AgentSummary => ({
  ...toUser(doc),
  email: doc.email,
  disabled: doc.disabled,
  createdAt: doc.createdAt.toISOString(),
});

export interface AccountCollaborators {
  /** Only the server process can revoke logins immediately; others (the CLI) rely on the database flag. */
  auth?: AuthService;
  /** agentsOnline of the department list; without it (the CLI) every count is 0. */
  presence?: PresenceSource;
}

export class AccountService {
  constructor(
    private readonly store: Pick<Store, 'users' | 'departments' | 'sessions' | 'authEpoch'>,
    private readonly collaborators: AccountCollaborators = {},
  ) {}

  async listDepartments(): Promise<Department[]> {
    const docs = await this.store.departments.list();
    const { presence } = this.collaborators;
    const online = presence ? await presence.agentsOnline(docs.map((d) => d._id)) : {};
    return docs.map((d) => ({ id: d._id, name: d.name, agentsOnline: online[d._id] ?? 0 }));
  }

  async createDepartment(input: { id: string; name: string }): Promise<Result<{ id: string; name: string }>> {
    if (!(await this.store.departments.insert(input))) {
      return fail(ErrorCode.conflict, `Department "${input.id}" already exists`);
    }
    log.info({ departmentId: input.id }, 'department created');
    return ok({ id: input.id, name: input.name });
  }

  private async missingDepartments(ids: readonly string[]): Promise<string[]> {
    const have = await this.store.departments.existing(ids);
    return ids.filter((id) => !have.has(id));
  }

  /** An owner account (SPEC §13): no departments; signs in to the console at /admin. */
  async createOwner(input: {
    username: string;
    email: string;
    password: string;
  }): Promise<Result<{ user: User }>> {
    const doc = newUserDoc({
      username: input.username,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      role: 'owner',
      departments: [],
    });
    const inserted = await this.store.users.insert(doc);
    if (inserted === 'username_taken')
      return fail(ErrorCode.usernameTaken, `Username "${input.username}" is taken`);
    if (inserted === 'email_taken') {
      return fail(ErrorCode.emailTaken, `An account with email "${input.email}" exists`);
    }
    log.info({ userId: doc._id.toHexString() }, 'owner created');
    return ok({ user: toUser(doc) });
  }

  async createAgent(input: {
    username: string;
    email: string;
    password: string;
    departments: string[];
  }): Promise<Result<{ user: User }>> {
    const departments = [...new Set(input.departments)];
    const missing = await this.missingDepartments(departments);
    if (missing.length) return fail(ErrorCode.notFound, `Unknown department(s): ${missing.join(', ')}`);
    const doc = newUserDoc({
      username: input.username,
      email: input.email,
      passwordHash: await hashPassword(input.password),
      role: 'agent',
      departments,
    });
    const inserted = await this.store.users.insert(doc);
    if (inserted === 'username_taken')
      return fail(ErrorCode.usernameTaken, `Username "${input.username}" is taken`);
    if (inserted === 'email_taken') {
      return fail(ErrorCode.emailTaken, `An account with email "${input.email}" exists`);
    }
    log.info({ userId: doc._id.toHexString(), departments }, 'agent created');
    return ok({ user: toUser(doc) });
  }

  async listAgents(): Promise<AgentSummary[]> {
    return (await this.store.users.listAgents()).map(toAgentSummary);
  }

  /** The enabled agents of one department, by username: whom a conversation of it can be assigned to. */
  departmentAgents(department: string): Promise<{ id: string; username: string }[]> {
    return this.store.users.departmentAgents(department);
  }

  /** Resets an agent's (or owner's) password and ends their logins. */
  async resetPassword(input: { username: string; password: string }): Promise<Result<{ user: User }>> {
    const doc = await this.store.users.findStaff(input.username);
    if (!doc) return fail(ErrorCode.notFound, `No agent named "${input.username}"`);
    const passwordHash = await hashPassword(input.password);
    await this.store.users.update(doc._id, { passwordHash });
    await this.revokeAll(doc, 'password');
    log.info({ userId: doc._id.toHexString() }, 'password reset');
    return ok({ user: toUser(doc) });
  }

  /** Disables a user of any role: no login, every login revoked, open sockets end within seconds. */
  async disableUser(input: { username: string }): Promise<Result<{ user: User }>> {
    const doc = await this.store.users.findByUsername(input.username);
    if (!doc) return fail(ErrorCode.notFound, `No user named "${input.username}"`);
    await this.store.users.update(doc._id, { disabled: true });
    await this.store.authEpoch.bump();
    await this.revokeAll(doc, 'disabled');
    log.info({ userId: doc._id.toHexString(), role: doc.role }, 'user disabled');
    return ok({ user: toUser(doc) });
  }

  /** Re-enables a disabled user (they log in again). */
  async enableUser(input: { username: string }): Promise<Result<{ user: User }>> {
    const doc = await this.store.users.findByUsername(input.username);
    if (!doc) return fail(ErrorCode.notFound, `No user named "${input.username}"`);
    await this.store.users.update(doc._id, { disabled: false });
    log.info({ userId: doc._id.toHexString(), role: doc.role }, 'user enabled');
    return ok({ user: toUser(doc) });
  }

  /** Replaces an agent's departments; open sockets move to the new department rooms within seconds. */
  async setDepartments(input: { username: string; departments: string[] }): Promise<Result<{ user: User }>> {
    const departments = [...new Set(input.departments)];
    const missing = await this.missingDepartments(departments);
    if (missing.length) return fail(ErrorCode.notFound, `Unknown department(s): ${missing.join(', ')}`);
    const doc = await this.store.users.setAgentDepartments(input.username, departments);
    if (!doc) return fail(ErrorCode.notFound, `No agent named "${input.username}"`);
    await this.store.authEpoch.bump();
    log.info({ userId: doc._id.toHexString(), departments }, 'agent departments set');
    return ok({ user: toUser(doc) });
  }

  private async revokeAll(user: UserDoc, reason: 'disabled' | 'password') {
    const { auth } = this.collaborators;
    if (auth) {
      await auth.revokeUserSessions(user._id.toHexString(), reason);
      return;
    }
    // Without the auth service (the CLI), revoke in the database; the server's socket re-check notices.
    await this.store.sessions.revoke({ userId: user._id }, reason);
  }
}
