// The contract without the zod schemas: limits, error codes, event names, text rules, types and the protocol
// version. The customer page's first load imports this entry; the schemas (`.`) load only where they run.
export * from './attachments';
export * from './errors';
export * from './events';
export * from './limits';
export * from './text';
export * from './types';
export * from './version';
export * from './widget';
