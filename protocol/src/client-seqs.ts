// Which message seqs the client has already handed to the UI, per conversation: a contiguous floor (everything
// up to it is held) plus the seqs seen above it. Sync asks for `seq > floor`, so a gap is always filled.

interface ConversationSeqs {
  tracked: boolean;
  floor: number;
  above: Set<number>;
}

export class SeqTracker {
  private readonly conversations = new Map<string, ConversationSeqs>();

  /**
   * The UI holds every message up to `highestSeq`; from now on this conversation is synced after reconnects.
   * Only the first call counts: afterwards the floor moves with what the client itself delivered, because a UI
   * that reports the highest seq of a list with a hole in it would otherwise make the sync skip the hole.
   */
  track(conversationId: string, highestSeq: number): void {
    const c = this.conversations.get(conversationId);
    if (!c) {
      this.conversations.set(conversationId, { tracked: true, floor: highestSeq, above: new Set() });
      return;
    }
    if (c.tracked) return;
    // An untracked floor was only a guess from the first live message; the UI's word replaces it.
    c.tracked = true;
    c.floor = highestSeq;
    for (const s of c.above) if (s <= c.floor) c.above.delete(s);
    compact(c);
  }

  untrack(conversationId: string): void {
    this.conversations.delete(conversationId);
  }

  isTracked(conversationId: string): boolean {
    return this.conversations.get(conversationId)?.tracked ?? false;
  }

  tracked(): string[] {
    return [...this.conversations].filter(([, c]) => c.tracked).map(([id]) => id);
  }

  /** Records a seq; true when it is new (the message should go to the UI), false for a duplicate. */
  see(conversationId: string, seq: number): boolean {
    let c = this.conversations.get(conversationId);
    if (!c) {
      // Untracked (e.g. an agent's inbox): only de-duplicate live messages from the first one on.
      c = { tracked: false, floor: seq - 1, above: new Set() };
      this.conversations.set(conversationId, c);
    }
    if (seq <= c.floor || c.above.has(seq)) return false;
    c.above.add(seq);
    compact(c);
    return true;
  }

  /** Highest seq below which nothing is missing: the `afterSeq` of the next sync. */
  floor(conversationId: string): number {
    return this.conversations.get(conversationId)?.floor ?? 0;
  }

  /** True when a seq above the floor was seen but one before it is missing. */
  hasGap(conversationId: string): boolean {
    return (this.conversations.get(conversationId)?.above.size ?? 0) > 0;
  }

  clear(): void {
    this.conversations.clear();
  }
}

function compact(c: ConversationSeqs): void {
  while (c.above.delete(c.floor + 1)) c.floor++;
}
