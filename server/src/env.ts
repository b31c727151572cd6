// Loads .env before anything reads process.env: from where the command was typed, then the repository root.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';

// server/src/env.ts, or the built server/dist/main.mjs: the repository root is two levels up from either.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = process.env.INIT_CWD || process.cwd();
const candidates = [...new Set([path.join(base, '.env'), path.join(repoRoot, '.env')])];
// Variables already in the environment win over the file; the first file wins over the second.
dotenv.config({ path: candidates, quiet: true });
