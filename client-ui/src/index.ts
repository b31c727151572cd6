// The chat UI every shell shares: a headless conversation store over ChatClient and the components that show it.
// Styles: import '@support-chat/client-ui/styles.css' and set its --chat-* colours (see that file).
export {
  AttachmentProvider,
  MessageAttachments,
  useAttachmentClient,
} from './Attachments';
export {
  type AttachmentClient,
  type AttachmentLimits,
  attachmentImageUrl,
  attachmentLimits,
  downloadAttachment,
  type UploadOutcome,
  uploadAttachment,
} from './attachments';
export { Composer, type ComposerReply, matchReplies, type UploadEntry } from './Composer';
export {
  type ConversationClient,
  ConversationStore,
  type ConversationStoreOptions,
  type ConversationsState,
  type ConversationView,
  type LoadStatus,
} from './conversation-store';
export { ExternalStore, useStore } from './external-store';
export { friendlyError } from './friendly-error';
export {
  MessageList,
  type MessageListProps,
  MessageRow,
  type NoteEntry,
  NoteRow,
  PendingRow,
  type PendingStatus,
  SystemRow,
} from './MessageList';
export { MessageText } from './MessageText';
export { type RatingClient, RatingPrompt } from './RatingPrompt';
export { SendNotices } from './SendNotices';
export { isSystemMessage, isSystemPreview } from './summary';
export { TypingIndicator } from './TypingIndicator';
export { UnreadBadge } from './UnreadBadge';
