import type { ApiError } from '@support-chat/protocol/core';

const waitSeconds = (ms: number | undefined): number => Math.max(1, Math.ceil((ms ?? 1000) / 1000));

/** An error as a person reads it, in every shell. */
export function friendlyError(error: ApiError): string {
  switch (error.code) {
    case 'rate_limited':
      return `You're sending messages too fast, wait ${waitSeconds(error.retryAfterMs)} s.`;
    case 'unavailable':
      return "We can't reach the support server right now. Please try again in a moment.";
    case 'unauthorized':
      return 'Your session has ended. Please log in again.';
    case 'not_found':
      // A send whose files expired or were sent already says so (server: attachments); else the conversation.
      return /\bfile\b/.test(error.message) ? error.message : 'That conversation could not be found.';
    case 'payload_too_large':
      return 'That message is too long.';
    case 'invalid_input':
      return error.message;
    default:
      return 'Something went wrong. Please try again.';
  }
}
