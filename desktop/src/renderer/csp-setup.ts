// Imported first: the CSP forbids eval, so zod (used by the protocol client) must not even probe for it
// when its schemas are built at import time.
import { config } from 'zod';

config({ jitless: true });
