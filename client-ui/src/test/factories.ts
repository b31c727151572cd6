// Factories for the client-ui tests, and a stand-in ChatClient that plays the server's side in memory.
import type { ClientEventMap, ConnectionState, OutboxItem } from '@support-chat/protocol/client';
import type { ConversationSummary, Message, Result, User } from '@support-chat/protocol/core';
import type { ConversationClient } from '../conversation-store';

export const customer: User = {
  id: 'u00000000000000000000001',
  username: 'carla',
  role: 'customer',
  departments: [],
};
export const agent: User = {
  id: 'a00000000000000000000001',
  username: 'alex',
  role: 'agent',
  departments: ['billing'],
};

let n = 0;
export const summary = (over: Partial<ConversationSummary> = {}): ConversationSummary => {
  n++;
  return {
    id: `c${String(n).padStart(23, '0')}`,
    department: 'billing',
    customer: { id: customer.id, username: customer.username },
    status: 'open',
    assigneeId: null,
    lastSeq: 0,
    lastMessage: null,
    unread: 0,
    readSeq: { customer: 0, agents: 0 },
    createdAt: '2026-01-01T09:00:00.000Z',
    updatedAt: '2026-01-01T09:00:00.000Z',
    ...over,
  };
};

export const message = (
  conversationId: string,
  seq: number,
  from: User,
  over: Partial<Message> = {},
): Message => ({
  id: `m${String(seq).padStart(23, '0')}`,
  conversationId,
  seq,
  sender: { id: from.id, username: from.username, role: from.role },
  text: `message ${seq}`,
  clientMsgId: `${conversationId}-${seq}`,
  createdAt: new Date(Date.UTC(2026, 0, 1, 10, seq)).toISOString(),
  ...over,
});

/** A transfer line as the server writes it (SPEC §12): `to` names another conversation when nothing moved. */
export const transferLine = (
  conversationId: string,
  seq: number,
  over: { toConversationId?: string; text?: string; sender?: User } = {},
): Message =>
  message(conversationId, seq, over.sender ?? agent, {
    text: over.text ?? 'Transferred to Technical Support',
    kind: 'system',
    system: {
      type: 'transfer',
      from: { department: 'billing', name: 'Billing Support', conversationId },
      to: {
        department: 'technical',
        name: 'Technical Support',
        conversationId: over.toConversationId ?? conversationId,
      },
    },
  });

export const pending = (
  conversationId: string,
  text: string,
  over: Partial<OutboxItem> = {},
): OutboxItem => ({
  clientMsgId: `pending-${text}`,
  conversationId,
  text,
  status: 'pending',
  attempts: 1,
  createdAt: '2026-01-01T10:30:00.000Z',
  done: new Promise(() => {}),
  ...over,
});

const ok = <T>(data: T): Promise<Result<T>> => Promise.resolve({ ok: true, data });

/** The ChatClient surface the store uses, over an in-memory conversation list and message history. */
export class FakeClient implements ConversationClient {
  state: ConnectionState = 'connected';
  outboxItems: OutboxItem[] = [];
  summaries: ConversationSummary[] = [];
  history_: Message[] = [];
  calls: string[] = [];
  private readonly listeners = new Map<string, Set<(payload: never) => void>>();

  on<K extends keyof ClientEventMap>(event: K, cb: (payload: ClientEventMap[K]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(cb as (payload: never) => void);
    return () => set.delete(cb as (payload: never) => void);
  }

  emit<K extends keyof ClientEventMap>(event: K, payload: ClientEventMap[K]): void {
    for (const cb of this.listeners.get(event) ?? []) (cb as (p: ClientEventMap[K]) => void)(payload);
  }

  connect(): void {
    this.calls.push('connect');
  }

  conversations() {
    return ok(this.summaries);
  }

  history(conversationId: string, opts: { before?: number; limit?: number } = {}) {
    this.calls.push(`history ${opts.before ?? 'latest'}`);
    const older = this.history_.filter(
      (m) => m.conversationId === conversationId && (opts.before === undefined || m.seq < opts.before),
    );
    return ok(older.slice(-(opts.limit ?? 50)));
  }

  track(conversationId: string, seq: number): void {
    this.calls.push(`track ${conversationId} ${seq}`);
  }

  untrack(conversationId: string): void {
    this.calls.push(`untrack ${conversationId}`);
  }

  send(conversationId: string, text: string): OutboxItem {
    const item = pending(conversationId, text);
    this.outboxItems = [...this.outboxItems, item];
    this.emit('outbox', this.outboxItems);
    return item;
  }

  retrySend(clientMsgId: string): OutboxItem | null {
    this.calls.push(`retry ${clientMsgId}`);
    return null;
  }

  discardSend(clientMsgId: string): boolean {
    this.calls.push(`discard ${clientMsgId}`);
    return true;
  }

  markRead(conversationId: string, seq: number) {
    this.calls.push(`read ${seq}`);
    const s = this.summaries.find((c) => c.id === conversationId)!;
    return ok({ ...s, unread: 0, readSeq: { ...s.readSeq, customer: seq } });
  }

  setTyping(_conversationId: string, isTyping: boolean): void {
    this.calls.push(`typing ${isTyping}`);
  }
}
