// Types of scripts/build.mjs for the TypeScript that imports it (test/helpers/build-setup.ts).
export const root: string;
export const DIST: string;
export const CLIS: string[];
export function staleReason(outdir?: string): string | undefined;
export function build(options?: { outdir?: string; log?: (line: string) => void }): Promise<string>;
export function buildIfStale(outdir?: string): Promise<void>;
