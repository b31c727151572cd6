export * from './errors';
export * from './events';
export * as schemas from './schemas';
export {
  DEFAULT_PAGE_LIMIT,
  describeIssues,
  MAX_MESSAGE_CHARS,
  MAX_PAGE_LIMIT,
  MAX_SYNC_MESSAGES,
} from './schemas';
export * from './text';
export * from './types';
export * from './version';
