// Runs before each test file of the lanes that share a worker process between files (isolate: false in
// vitest.config.ts): the project's modules are evaluated afresh for every file, as in their own process,
// while the worker keeps what it paid for once — node_modules, and the PGlite pool on globalThis.
import { vi } from 'vitest';

vi.resetModules();
