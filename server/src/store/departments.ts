// Departments: a stable id (the document _id) and a display name.
import type { Collection, Db } from 'mongodb';
import { ensureCollection, isDuplicateKey, raisesUnavailable } from './mongo';

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

export class DepartmentStore {
  private readonly departments: Collection<DepartmentDoc>;

  constructor(db: Db) {
    this.departments = db.collection<DepartmentDoc>('departments');
  }

  /** Every department by id (a handful of documents). */
  list(): Promise<DepartmentDoc[]> {
    return this.departments.find({}).sort({ _id: 1 }).toArray();
  }

  async ids(): Promise<string[]> {
    const docs = await this.departments.find({}, { projection: { _id: 1 } }).toArray();
    return docs.map((d) => d._id);
  }

  /** Whether the department exists (point read). */
  async exists(id: string): Promise<boolean> {
    return (await this.departments.findOne({ _id: id }, { projection: { _id: 1 } })) !== null;
  }

  /** Those of `ids` that exist. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    const found = await this.departments
      .find({ _id: { $in: [...ids] } }, { projection: { _id: 1 } })
      .toArray();
    return new Set(found.map((d) => d._id));
  }

  /** False when a department with this id exists already. */
  async insert(input: { id: string; name: string }): Promise<boolean> {
    try {
      await this.departments.insertOne({ _id: input.id, name: input.name, createdAt: new Date() });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Gives a department a new display name; false when there is no such department. */
  async rename(id: string, name: string): Promise<boolean> {
    const r = await this.departments.updateOne({ _id: id }, { $set: { name } });
    return r.matchedCount === 1;
  }

  /** Seeds the default departments on a fresh install (an empty collection); never overwrites. */
  async seed(): Promise<number> {
    if ((await this.departments.estimatedDocumentCount()) > 0) return 0;
    let inserted = 0;
    // Two processes seeding at once: the other one's inserts answer false.
    for (const d of DEFAULT_DEPARTMENTS) if (await this.insert(d)) inserted++;
    return inserted;
  }
}
raisesUnavailable(DepartmentStore);
