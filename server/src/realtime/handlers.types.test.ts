// The socket handler table is held to the protocol's ClientToServerEvents: `tsc` (npm run typecheck) fails on a
// handler with the wrong payload or result type, and on a missing or unknown event. Each @ts-expect-error below
// must stay an error, or tsc fails on the unused directive.

import type { AckData, EventPayload } from '@support-chat/protocol';
import { type ConversationSummary, type Message, ok, schemas } from '@support-chat/protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type { HandlerTable, SocketHandler } from './handlers';

declare const message: Message;
declare const conversation: ConversationSummary;

describe('socket handler types', () => {
  it('derive payload and ack types from ClientToServerEvents', () => {
    expectTypeOf<AckData<'message:send'>>().toEqualTypeOf<{ message: Message }>();
    expectTypeOf<AckData<'conversation:claim'>>().toEqualTypeOf<{ conversation: ConversationSummary }>();
    expectTypeOf<EventPayload<'typing'>>().toEqualTypeOf<{ conversationId: string; isTyping: boolean }>();
    expectTypeOf<HandlerTable['message:send']>().toEqualTypeOf<SocketHandler<'message:send'>>();
  });

  it('refuse a handler with the wrong result, payload or schema', () => {
    const right: SocketHandler<'message:send'> = {
      schema: schemas.MessageSendPayload,
      run: async (input) => {
        expectTypeOf(input.text).toEqualTypeOf<string>();
        return ok({ message });
      },
    };

    const wrongResult: SocketHandler<'message:send'> = {
      schema: schemas.MessageSendPayload,
      // @ts-expect-error message:send acknowledges {message}, not {conversation}
      run: async () => ok({ conversation }),
    };

    const wrongPayload: SocketHandler<'conversation:read'> = {
      schema: schemas.ConversationReadPayload,
      // @ts-expect-error conversation:read carries {conversationId, seq}: there is no `text`
      run: async ({ text }) => ok({ conversation: { ...conversation, id: text } }),
    };

    const wrongSchema: SocketHandler<'conversation:open'> = {
      // @ts-expect-error the schema must parse the event's own payload
      schema: schemas.MessageSendPayload,
      run: async () => ok({ conversation }),
    };

    // @ts-expect-error every client event needs its handler: a table with one is not a HandlerTable
    const incomplete: HandlerTable = { 'message:send': right };

    expectTypeOf([right, wrongResult, wrongPayload, wrongSchema, incomplete]).not.toBeNever();
  });
});
