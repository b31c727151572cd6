// Chat clients for fault tests: real ChatClients whose messages land in one Timeline per conversation, plus
// bookkeeping of what each one sent and when it was acknowledged.

import type { Message, Result } from '@support-chat/protocol';
import { ChatClient, type ChatClientOptions, type OutboxItem, Timeline } from '@support-chat/protocol/client';

export interface SentRecord {
  conversationId: string;
  clientMsgId: string;
  text: string;
  /** Date.now() of the ack, or null while pending. */
  ackedAt: number | null;
  result: Result<Message> | null;
}

export class TestChatter {
  readonly client: ChatClient;
  readonly timelines = new Map<string, Timeline>();
  readonly sent: SentRecord[] = [];
  private readonly watchers = new Set<() => void>();

  constructor(
    readonly name: string,
    opts: ChatClientOptions,
  ) {
    this.client = new ChatClient(opts);
    this.client.on('message', (m) => {
      this.timeline(m.conversationId).add(m);
      this.notify();
    });
    this.client.on('outbox', () => this.notify());
    this.client.on('state', () => this.notify());
  }

  timeline(conversationId: string): Timeline {
    let t = this.timelines.get(conversationId);
    if (!t) {
      t = new Timeline(conversationId);
      this.timelines.set(conversationId, t);
    }
    return t;
  }

  send(conversationId: string, text: string): OutboxItem {
    const item = this.client.send(conversationId, text);
    const record: SentRecord = {
      conversationId,
      clientMsgId: item.clientMsgId,
      text,
      ackedAt: null,
      result: null,
    };
    this.sent.push(record);
    void item.done.then((r) => {
      record.result = r;
      if (r.ok) record.ackedAt = Date.now();
      this.notify();
    });
    return item;
  }

  /** Resolves once `check()` holds, re-checked on every message, outbox, state or ack; rejects after timeoutMs. */
  until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(watch);
        reject(new Error(`${this.name}: ${what} not within ${timeoutMs} ms`));
      }, timeoutMs);
      const watch = () => {
        if (!check()) return;
        clearTimeout(timer);
        this.watchers.delete(watch);
        resolve();
      };
      this.watchers.add(watch);
    });
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }
}

/** True when the timeline holds exactly seqs 1..total, in order. */
export const isComplete = (t: Timeline | undefined, total: number): boolean =>
  !!t && t.size === total && t.lowestSeq === 1 && t.highestSeq === total && !t.hasGap();
