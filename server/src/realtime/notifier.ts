// The chat's room emits: what the services durably changed, turned into socket events for the customer of a
// conversation and the agents of its department; and presence counted from the sockets in department rooms.
import { rooms } from '@support-chat/protocol';
import { DirectoryPresence } from '../services/presence';
import type { ChatNotifier } from '../services/views';
import type { ChatIo } from './auth';

/** Room of the customer sockets that opened a conversation with a department (they get its presence). */
export const presenceRoom = (department: string) => `presence:${department}`;

export function roomNotifier(io: ChatIo): ChatNotifier {
  return {
    conversationUpdated(view) {
      io.to(rooms.user(view.doc.customerId)).emit('conversation:updated', { conversation: view.forCustomer });
      io.to(rooms.department(view.doc.department)).emit('conversation:updated', {
        conversation: view.forAgents,
      });
    },
    messageCreated(conversation, message, except) {
      const to = io.to([rooms.user(conversation.customerId), rooms.department(conversation.department)]);
      (except ? to.except(except) : to).emit('message:created', { message });
    },
    conversationRead(conversation, by, seq) {
      io.to([rooms.user(conversation.customerId), rooms.department(conversation.department)]).emit(
        'conversation:read',
        { conversationId: conversation._id, by, seq },
      );
    },
    noteCreated(conversation, note, except) {
      // The department room only: customers are never in it (realtime/auth.ts joins agents alone).
      const to = io.to(rooms.department(conversation.department));
      (except ? to.except(except) : to).emit('note:created', { note });
    },
    conversationMoved(conversation, from) {
      const to = conversation.department;
      io.to(rooms.department(from)).except(rooms.department(to)).emit('conversation:removed', {
        conversationId: conversation._id,
        reason: 'transferred',
        department: to,
      });
      io.in(rooms.user(conversation.customerId)).socketsJoin(presenceRoom(to));
    },
    conversationRated(conversation, rating) {
      io.to([rooms.user(conversation.customerId), rooms.department(conversation.department)]).emit(
        'conversation:rated',
        { rating },
      );
    },
  };
}

/**
 * Agents counted from the available sockets in each department room, on every node (fetchSockets goes through the
 * adapter and carries each socket's data as it is now).
 */
export const socketPresence = (io: ChatIo) =>
  new DirectoryPresence(async (department) => {
    const sockets = await io.in(rooms.department(department)).fetchSockets();
    return sockets.flatMap((s) =>
      s.data.user && s.data.status !== 'away' ? [{ id: s.data.user.id, role: s.data.user.role }] : [],
    );
  });
