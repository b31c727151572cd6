// The agent tools beside the conversations (SPEC §12): internal notes of the conversations opened (synced by noteSeq
// through the client, with their own outbox), the customers' ratings, and the canned replies (the departments' and
// the agent's own, which they manage here).
import { type ComposerReply, ExternalStore, type NoteEntry } from '@support-chat/client-ui';
import type { ChatClient, OutboxItem } from '@support-chat/protocol/client';
import type { AgentCannedReply, Note, Rating } from '@support-chat/protocol/core';

export interface AgentToolsState {
  /** conversationId → its notes, by noteSeq. */
  notes: Readonly<Record<string, readonly Note[]>>;
  /** Notes not stored yet (all conversations), oldest first. */
  pendingNotes: readonly OutboxItem<Note>[];
  /** conversationId → the rating of its latest episode (null: none), once asked. */
  ratings: Readonly<Record<string, Rating | null>>;
  replies: readonly AgentCannedReply[];
  repliesStatus: 'loading' | 'ready' | 'error';
  /** The last refused change of a personal reply. */
  replyError: string | null;
}

type ToolsClient = Pick<
  ChatClient,
  | 'on'
  | 'noteOutboxItems'
  | 'addNote'
  | 'retryNote'
  | 'discardNote'
  | 'trackNotes'
  | 'untrackNotes'
  | 'rating'
  | 'cannedReplies'
  | 'createCannedReply'
  | 'deleteCannedReply'
>;

/** `{customer.name}` and `{agent.name}` filled in (any other text stays as written). */
export function fillPlaceholders(text: string, values: { customer: string; agent: string }): string {
  return text.replace(/\{(customer|agent)\.name\}/g, (_, who: 'customer' | 'agent') => values[who]);
}

/** Conversations whose notes stay loaded and synced after reconnects; older ones load again when reopened. */
const KEEP_NOTES = 20;

export class AgentToolsStore extends ExternalStore<AgentToolsState> {
  private readonly offs: (() => void)[] = [];
  /** Conversations whose notes are tracked, least recently shown first. */
  private readonly opened: string[] = [];

  constructor(private readonly client: ToolsClient) {
    super({
      notes: {},
      pendingNotes: [],
      ratings: {},
      replies: [],
      repliesStatus: 'loading',
      replyError: null,
    });
  }

  start(): void {
    this.offs.push(
      this.client.on('note', (note) => this.onNote(note)),
      this.client.on('noteOutbox', (items) => this.update({ pendingNotes: items })),
      this.client.on('rated', (rating) =>
        this.update({ ratings: { ...this.state.ratings, [rating.conversationId]: rating } }),
      ),
      // Back online: ratings given meanwhile are asked for again when their conversation is shown.
      this.client.on('state', (state) => {
        if (state === 'connected' && this.state.repliesStatus === 'error') void this.loadReplies();
      }),
    );
    this.update({ pendingNotes: this.client.noteOutboxItems });
    void this.loadReplies();
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  /** A conversation is shown: its notes are synced (now and after every reconnect) and its rating asked for. */
  open(conversationId: string): void {
    const at = this.opened.indexOf(conversationId);
    if (at >= 0) this.opened.splice(at, 1);
    else {
      // Live notes seen while it was not shown were not kept: start from the first one.
      this.client.untrackNotes(conversationId);
      this.client.trackNotes(conversationId, 0);
    }
    this.opened.push(conversationId);
    for (const dropped of this.opened.splice(0, Math.max(0, this.opened.length - KEEP_NOTES))) {
      this.client.untrackNotes(dropped);
      const { [dropped]: _, ...notes } = this.state.notes;
      this.update({ notes });
    }
    void this.refreshRating(conversationId);
  }

  async refreshRating(conversationId: string): Promise<void> {
    const r = await this.client.rating(conversationId);
    if (r.ok) this.update({ ratings: { ...this.state.ratings, [conversationId]: r.data.rating } });
  }

  private onNote(note: Note): void {
    if (!this.opened.includes(note.conversationId)) return;
    const list = this.state.notes[note.conversationId] ?? [];
    if (list.some((n) => n.noteSeq === note.noteSeq)) return;
    const next = [...list, note].sort((a, b) => a.noteSeq - b.noteSeq);
    this.update({ notes: { ...this.state.notes, [note.conversationId]: next } });
  }

  /** The note rows of one conversation: stored ones, then those still being saved. */
  entriesFor(conversationId: string): NoteEntry[] {
    const stored = this.state.notes[conversationId] ?? [];
    const storedIds = new Set(stored.map((n) => n.clientMsgId));
    return [
      ...stored.map((note): NoteEntry => ({ kind: 'note', key: `note-${note.clientMsgId}`, note })),
      ...this.state.pendingNotes
        .filter(
          (i) => i.conversationId === conversationId && i.status !== 'sent' && !storedIds.has(i.clientMsgId),
        )
        .map((item): NoteEntry => ({ kind: 'pendingNote', key: `note-${item.clientMsgId}`, item })),
    ];
  }

  addNote(conversationId: string, text: string): void {
    this.client.addNote(conversationId, text);
  }

  retryNote(clientMsgId: string): void {
    this.client.retryNote(clientMsgId);
  }

  discardNote(clientMsgId: string): void {
    this.client.discardNote(clientMsgId);
  }

  async loadReplies(): Promise<void> {
    const r = await this.client.cannedReplies();
    this.update(r.ok ? { replies: r.data, repliesStatus: 'ready' } : { repliesStatus: 'error' });
  }

  /** The replies as the composer's picker shows them, tagged "Mine" or with their department's name. */
  pickerReplies(departmentName: (id: string) => string): ComposerReply[] {
    return this.state.replies.map((r) => ({
      id: r.id,
      shortcut: r.shortcut,
      title: r.title,
      text: r.text,
      tag: r.scope === 'personal' ? 'Mine' : departmentName(r.department ?? ''),
    }));
  }

  async createReply(input: { shortcut: string; title: string; text: string }): Promise<boolean> {
    const r = await this.client.createCannedReply(input);
    if (!r.ok) {
      this.update({ replyError: r.error.message });
      return false;
    }
    this.update({ replies: [r.data, ...this.state.replies], replyError: null });
    return true;
  }

  async deleteReply(id: string): Promise<void> {
    const r = await this.client.deleteCannedReply(id);
    if (!r.ok) {
      this.update({ replyError: r.error.message });
      return;
    }
    this.update({ replies: this.state.replies.filter((x) => x.id !== id), replyError: null });
  }
}
