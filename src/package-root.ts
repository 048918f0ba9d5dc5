import { fileURLToPath } from 'node:url';

// This file sits one level below the package root both as source (src/) and when bundled (dist/).
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
