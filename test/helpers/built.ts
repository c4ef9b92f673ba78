// The arguments to `node` that run a built program (test/helpers/build-setup.ts builds dist/ first):
// 'node' → dist/node.js, 'cli/org-import' → dist/cli/org-import.js.
export const built = (program: string, ...args: string[]) => [
  '--enable-source-maps',
  `dist/${program}.js`,
  ...args,
];
