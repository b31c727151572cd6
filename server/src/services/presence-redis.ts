// Presence shared through Redis: which agents have an open connection in each department, on any node, answered
// by one Redis call instead of asking every node for its sockets. Each node keeps the truth about its own
// connections in memory and mirrors it to Redis; a node that dies (even SIGKILL) drops out when its heartbeat
// lapses, and a Redis that restarts empty is refilled by every node on reconnect. While Redis is down, counts
// are this node's own (an undercount, never an error).
import { createLogger } from '../log';
import type { RedisClient } from './connection-redis';
import type { Presence } from './presence';

const log = createLogger('presence-redis');

/**
 * KEYS: the nodes sorted set, then one hash per department (field "<nodeId>|<agentId>" -> open connections).
 * ARGV[1]: nodes whose heartbeat expiry (score) is before this are dead. Returns, per department, the distinct
 * agents on live nodes; fields of dead nodes are removed on the way.
 */
const READ_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local alive = {}
local out = {}
for i = 2, #KEYS do
  local fields = redis.call('HKEYS', KEYS[i])
  local seen = {}
  local agents = {}
  for _, f in ipairs(fields) do
    local sep = string.find(f, '|', 1, true)
    local node = string.sub(f, 1, sep - 1)
    local live = alive[node]
    if live == nil then
      local score = redis.call('ZSCORE', KEYS[1], node)
      live = score ~= false and score ~= nil and tonumber(score) >= now
      alive[node] = live
    end
    if live then
      local agent = string.sub(f, sep + 1)
      if not seen[agent] then
        seen[agent] = true
        agents[#agents + 1] = agent
      end
    else
      redis.call('HDEL', KEYS[i], f)
    end
  end
  out[#out + 1] = agents
end
return out
`;

export interface RedisPresenceOptions {
  nodeId: string;
  prefix?: string;
  /** How often this node says it is alive (default 2 s); it counts as dead after ttlMs (default 3 heartbeats). */
  heartbeatMs?: number;
  ttlMs?: number;
}

export class RedisPresence implements Presence {
  /** department -> agentId -> open connections on this node */
  private readonly local = new Map<string, Map<string, number>>();
  private readonly nodesKey: string;
  private readonly deptPrefix: string;
  private readonly heartbeatMs: number;
  private readonly ttlMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly onReady = () => void this.publishAll();
  private sha: string | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: RedisPresenceOptions,
  ) {
    const prefix = opts.prefix ?? 'support-chat';
    this.nodesKey = `${prefix}:presence:nodes`;
    this.deptPrefix = `${prefix}:presence:department:`;
    this.heartbeatMs = opts.heartbeatMs ?? 2000;
    this.ttlMs = opts.ttlMs ?? this.heartbeatMs * 3;
    this.timer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.timer.unref();
    // A Redis that came back may have lost everything (no persistence): write this node's state again.
    redis.on('ready', this.onReady);
    if (redis.isReady) void this.publishAll();
  }

  /** An agent connection opened on this node in these departments. */
  connect(agentId: string, departments: readonly string[]): void {
    for (const d of departments) this.change(d, agentId, +1);
  }

  /** An agent connection on this node closed (or left these departments). */
  disconnect(agentId: string, departments: readonly string[]): void {
    for (const d of departments) this.change(d, agentId, -1);
  }

  async onlineAgents(department: string): Promise<string[]> {
    return (await this.read([department]))[0] ?? [];
  }

  async agentsOnline(departments: readonly string[]): Promise<Record<string, number>> {
    const lists = await this.read(departments);
    return Object.fromEntries(departments.map((d, i) => [d, lists[i]?.length ?? 0]));
  }

  /** Leaves the cluster's view at once (graceful shutdown) instead of after the heartbeat lapses. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.redis.off('ready', this.onReady);
    if (!this.redis.isReady) return;
    const multi = this.redis.multi().zRem(this.nodesKey, this.opts.nodeId);
    for (const [d, agents] of this.local) {
      const fields = [...agents.keys()].map((a) => this.field(a));
      if (fields.length) multi.hDel(this.deptKey(d), fields);
    }
    await multi.exec().catch(() => {});
  }

  private field(agentId: string): string {
    return `${this.opts.nodeId}|${agentId}`;
  }

  private deptKey(department: string): string {
    return this.deptPrefix + department;
  }

  private change(department: string, agentId: string, delta: number): void {
    let agents = this.local.get(department);
    if (!agents) {
      agents = new Map();
      this.local.set(department, agents);
    }
    const next = (agents.get(agentId) ?? 0) + delta;
    if (next > 0) agents.set(agentId, next);
    else agents.delete(agentId);
    if (!this.redis.isReady) return; // written again on reconnect
    // Issued before any read that follows on the same connection, so this node's reads see it at once.
    const write =
      next > 0
        ? this.redis.hSet(this.deptKey(department), this.field(agentId), String(next))
        : this.redis.hDel(this.deptKey(department), this.field(agentId));
    write.catch((err: Error) =>
      log.debug({ err: err.message }, 'presence write failed; rewritten on reconnect'),
    );
  }

  private async heartbeat(): Promise<void> {
    if (!this.redis.isReady) return;
    try {
      await this.redis.zAdd(this.nodesKey, { score: Date.now() + this.ttlMs, value: this.opts.nodeId });
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'presence heartbeat failed');
    }
  }

  private async publishAll(): Promise<void> {
    try {
      const multi = this.redis
        .multi()
        .zAdd(this.nodesKey, { score: Date.now() + this.ttlMs, value: this.opts.nodeId });
      for (const [d, agents] of this.local) {
        for (const [agentId, n] of agents) multi.hSet(this.deptKey(d), this.field(agentId), String(n));
      }
      await multi.exec();
    } catch (err) {
      log.debug({ err: (err as Error).message }, 'presence publish failed');
    }
  }

  private localAgents(department: string): string[] {
    return [...(this.local.get(department)?.keys() ?? [])].sort();
  }

  private async read(departments: readonly string[]): Promise<string[][]> {
    if (departments.length === 0) return [];
    if (!this.redis.isReady) return departments.map((d) => this.localAgents(d));
    try {
      const client = this.redis.withCommandOptions({ timeout: 500 });
      const args = { keys: [this.nodesKey, ...departments.map((d) => this.deptKey(d))], arguments: [] };
      let result: unknown;
      if (this.sha) {
        result = await client.evalSha(this.sha, args).catch((err: Error) => {
          if (err.message.startsWith('NOSCRIPT')) return null;
          throw err;
        });
      }
      if (!result) {
        this.sha = String(await client.scriptLoad(READ_SCRIPT));
        result = await client.evalSha(this.sha, args);
      }
      return (result as string[][]).map((agents) => [...agents].sort());
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'presence read failed; answering with this node only');
      return departments.map((d) => this.localAgents(d));
    }
  }
}
