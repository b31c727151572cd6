// Owner operations (admin CLI) and the public department list: departments, agent accounts, passwords.
import { type Department, ErrorCode, fail, ok, type Result, type User } from '@support-chat/protocol';
import { createLogger } from '../log';
import { bumpAuthEpoch } from '../store/auth-epoch';
import { isDuplicateKey, type Store } from '../store/db';
import { revokeSessions } from '../store/tokens';
import { lowerKey, newUserDoc, type UserDoc } from '../store/users';
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

export class AccountService {
  constructor(
    private readonly store: Store,
    /** Optional: only the server process can revoke logins immediately; other processes rely on the DB flag. */
    private readonly auth: AuthService | null = null,
  ) {}

  async listDepartments(presence: PresenceSource | null): Promise<Department[]> {
    const docs = await this.store.departments.find({}).sort({ _id: 1 }).toArray();
    const online = presence ? await presence.agentsOnline(docs.map((d) => d._id)) : {};
    return docs.map((d) => ({ id: d._id, name: d.name, agentsOnline: online[d._id] ?? 0 }));
  }

  async createDepartment(input: { id: string; name: string }): Promise<Result<{ id: string; name: string }>> {
    try {
      await this.store.departments.insertOne({ _id: input.id, name: input.name, createdAt: new Date() });
    } catch (err) {
      if (isDuplicateKey(err)) return fail(ErrorCode.conflict, `Department "${input.id}" already exists`);
      throw err;
    }
    log.info({ departmentId: input.id }, 'department created');
    return ok({ id: input.id, name: input.name });
  }

  private async missingDepartments(ids: readonly string[]): Promise<string[]> {
    const found = await this.store.departments
      .find({ _id: { $in: [...ids] } }, { projection: { _id: 1 } })
      .toArray();
    const have = new Set(found.map((d) => d._id));
    return ids.filter((id) => !have.has(id));
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
    try {
      await this.store.users.insertOne(doc);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const byName = await this.store.users.findOne(
        { usernameLower: doc.usernameLower },
        { projection: { _id: 1 } },
      );
      return byName
        ? fail(ErrorCode.usernameTaken, `Username "${input.username}" is taken`)
        : fail(ErrorCode.emailTaken, `An account with email "${input.email}" exists`);
    }
    log.info({ userId: doc._id.toHexString(), departments }, 'agent created');
    return ok({ user: toUser(doc) });
  }

  async listAgents(): Promise<AgentSummary[]> {
    const docs = await this.store.users.find({ role: 'agent' }).sort({ usernameLower: 1 }).toArray();
    return docs.map(toAgentSummary);
  }

  /** The enabled agents of one department, by username: whom a conversation of it can be assigned to. */
  async departmentAgents(department: string): Promise<{ id: string; username: string }[]> {
    const docs = await this.store.users
      .find({ role: 'agent', departments: department, disabled: false })
      .sort({ usernameLower: 1 })
      .toArray();
    return docs.map((d) => ({ id: d._id.toHexString(), username: d.username }));
  }

  private findStaff(username: string) {
    return this.store.users.findOne({ usernameLower: lowerKey(username), role: { $in: ['agent', 'owner'] } });
  }

  /** Resets an agent's (or owner's) password and ends their logins. */
  async resetPassword(input: { username: string; password: string }): Promise<Result<{ user: User }>> {
    const doc = await this.findStaff(input.username);
    if (!doc) return fail(ErrorCode.notFound, `No agent named "${input.username}"`);
    const passwordHash = await hashPassword(input.password);
    await this.store.users.updateOne(
      { _id: doc._id },
      { $set: { passwordHash, updatedAt: new Date() }, $inc: { version: 1 } },
    );
    await this.revokeAll(doc, 'password');
    log.info({ userId: doc._id.toHexString() }, 'password reset');
    return ok({ user: toUser(doc) });
  }

  /** Disables an agent: no login, every login revoked, open sockets end within seconds. */
  async disableAgent(input: { username: string }): Promise<Result<{ user: User }>> {
    const doc = await this.findStaff(input.username);
    if (!doc) return fail(ErrorCode.notFound, `No agent named "${input.username}"`);
    await this.store.users.updateOne(
      { _id: doc._id },
      { $set: { disabled: true, updatedAt: new Date() }, $inc: { version: 1 } },
    );
    await bumpAuthEpoch(this.store.db);
    await this.revokeAll(doc, 'disabled');
    log.info({ userId: doc._id.toHexString() }, 'agent disabled');
    return ok({ user: toUser(doc) });
  }

  /** Re-enables a disabled agent (they log in again). */
  async enableAgent(input: { username: string }): Promise<Result<{ user: User }>> {
    const doc = await this.findStaff(input.username);
    if (!doc) return fail(ErrorCode.notFound, `No agent named "${input.username}"`);
    await this.store.users.updateOne(
      { _id: doc._id },
      { $set: { disabled: false, updatedAt: new Date() }, $inc: { version: 1 } },
    );
    return ok({ user: toUser(doc) });
  }

  /** Replaces an agent's departments; open sockets move to the new department rooms within seconds. */
  async setDepartments(input: { username: string; departments: string[] }): Promise<Result<{ user: User }>> {
    const departments = [...new Set(input.departments)];
    const missing = await this.missingDepartments(departments);
    if (missing.length) return fail(ErrorCode.notFound, `Unknown department(s): ${missing.join(', ')}`);
    const doc = await this.store.users.findOneAndUpdate(
      { usernameLower: lowerKey(input.username), role: 'agent' },
      { $set: { departments, updatedAt: new Date() }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    if (!doc) return fail(ErrorCode.notFound, `No agent named "${input.username}"`);
    await bumpAuthEpoch(this.store.db);
    log.info({ userId: doc._id.toHexString(), departments }, 'agent departments set');
    return ok({ user: toUser(doc) });
  }

  private async revokeAll(user: UserDoc, reason: 'disabled' | 'password') {
    if (this.auth) {
      await this.auth.revokeUserSessions(user._id.toHexString(), reason);
      return;
    }
    // Without the auth service (the CLI), revoke in the database; the server's socket re-check notices.
    await revokeSessions(this.store, { userId: user._id }, reason);
  }
}
