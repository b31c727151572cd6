// Departments: a stable id (the document _id) and a display name.
import type { Db } from 'mongodb';
import { ensureCollection, isDuplicateKey } from './db';

export interface DepartmentDoc {
  _id: string;
  name: string;
  createdAt: Date;
}

export const DEFAULT_DEPARTMENTS = [
  { id: 'billing', name: 'Billing Support' },
  { id: 'technical', name: 'Technical Support' },
  { id: 'account', name: 'Account Manager' },
  { id: 'sales', name: 'Sales' },
  { id: 'hr', name: 'HR' },
] as const;

const schema = {
  bsonType: 'object',
  required: ['_id', 'name'],
  properties: { _id: { bsonType: 'string', maxLength: 32 }, name: { bsonType: 'string', maxLength: 64 } },
};

export async function ensureDepartmentCollections(db: Db): Promise<void> {
  await ensureCollection(db, 'departments', schema);
}

/** Seeds the default departments on a fresh install (an empty collection); never overwrites. */
export async function seedDepartments(db: Db): Promise<number> {
  const departments = db.collection<DepartmentDoc>('departments');
  if ((await departments.estimatedDocumentCount()) > 0) return 0;
  let inserted = 0;
  for (const d of DEFAULT_DEPARTMENTS) {
    try {
      await departments.insertOne({ _id: d.id, name: d.name, createdAt: new Date() });
      inserted++;
    } catch (err) {
      // Two processes seeding at once: the other one won.
      if (!isDuplicateKey(err)) throw err;
    }
  }
  return inserted;
}
