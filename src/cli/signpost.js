#!/usr/bin/env node
// The `signpost` command: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./index.ts');
