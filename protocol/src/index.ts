export type {
  AdminAgent,
  AdminDepartment,
  AdminSite,
  AuditEntry,
  CannedReply,
  DurationStats,
  Report,
  ReportAgent,
  ReportDay,
} from './admin';
export * as adminSchemas from './admin';
export * from './core';
export * as schemas from './schemas';
export { describeIssues } from './schemas';
