export * from './core';
export * as schemas from './schemas';
export { describeIssues } from './schemas';
