// Who is online: agents counted from their open connections. The connections come from a directory that the
// transport provides (Socket.IO's fetchSockets, which with the Redis adapter spans every node), so the count
// is right on one process and on many without a presence store of our own.
import type { Role } from '@support-chat/protocol';

export interface ConnectedUser {
  id: string;
  role: Role;
}

/** The users behind the open connections that belong to a department (every node). */
export type ConnectionDirectory = (department: string) => Promise<ConnectedUser[]>;

export interface Presence {
  /** Distinct agents with at least one open connection in the department, sorted by id. */
  onlineAgents(department: string): Promise<string[]>;
  /** `agentsOnline` per department (also what GET /api/departments shows). */
  agentsOnline(departments: readonly string[]): Promise<Record<string, number>>;
  /**
   * The transport reports every agent connection opening and closing (and department changes as a close of
   * the old set plus an open of the new one). Implementations that keep their own record (Redis) use these.
   */
  connect?(agentId: string, departments: readonly string[]): void;
  disconnect?(agentId: string, departments: readonly string[]): void;
}

export class DirectoryPresence implements Presence {
  constructor(private readonly directory: ConnectionDirectory) {}

  async onlineAgents(department: string): Promise<string[]> {
    const users = await this.directory(department);
    return [...new Set(users.filter((u) => u.role === 'agent').map((u) => u.id))].sort();
  }

  async agentsOnline(departments: readonly string[]): Promise<Record<string, number>> {
    const entries = await Promise.all(
      departments.map(async (d) => [d, (await this.onlineAgents(d)).length] as const),
    );
    return Object.fromEntries(entries);
  }
}

/** A directory kept by hand: for processes without sockets (tests of the services, tools). */
export class MemoryDirectory {
  private readonly connections = new Map<string, { user: ConnectedUser; departments: string[] }>();

  connect(connectionId: string, user: ConnectedUser, departments: readonly string[]): void {
    this.connections.set(connectionId, { user, departments: [...departments] });
  }

  disconnect(connectionId: string): void {
    this.connections.delete(connectionId);
  }

  readonly lookup: ConnectionDirectory = async (department) =>
    [...this.connections.values()].filter((c) => c.departments.includes(department)).map((c) => c.user);
}
