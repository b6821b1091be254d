import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tempDataDir } from '../support/helpers';

// Plain JavaScript run by `npm start`'s prestart (no compilation before the check).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { staleBecause, mark } = require('../../scripts/build-if-stale.js') as { staleBecause: (root: string) => string | null; mark: (root: string) => void };

describe("npm start's build check (scripts/build-if-stale.js)", () => {
  let tmp: ReturnType<typeof tempDataDir>;
  const HOUR = 3_600_000;
  const at = (path: string, ms: number) => utimesSync(path, new Date(ms), new Date(ms));
  const write = (root: string, path: string, text = 'export {};\n') => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const SOURCES = ['apps/api/src/main.ts', 'libs/features/src/a.ts', 'libs/features/src/a.spec.ts', 'web/main.ts', 'web/style.css', 'tsconfig.json', 'package.json'];
  const DIRS = ['apps', 'apps/api', 'apps/api/src', 'libs', 'libs/features', 'libs/features/src', 'web'];

  // A tree built an hour ago from sources two hours old.
  function builtTree(): string {
    const root = tmp.dir;
    for (const s of SOURCES) write(root, s);
    write(root, 'dist/apps/api/src/main.js', '');
    write(root, 'dist/ui/index.html', '');
    const old = Date.now() - 2 * HOUR;
    for (const p of [...SOURCES, ...DIRS]) at(join(root, p), old);
    mark(root);
    at(join(root, 'dist/.build-stamp'), Date.now() - HOUR);
    return root;
  }

  beforeEach(() => (tmp = tempDataDir('fs-build-')));
  afterEach(() => tmp.cleanup());

  it('asks for a build when none was recorded or the entry point is missing', () => {
    write(tmp.dir, 'apps/api/src/main.ts');
    expect(staleBecause(tmp.dir)).toBe('no build recorded yet');
    const root = builtTree();
    expect(staleBecause(root)).toBeNull();
    rmSync(join(root, 'dist/apps/api/src/main.js'));
    expect(staleBecause(root)).toMatch(/main\.js is missing/);
    const ui = builtTree();
    rmSync(join(ui, 'dist/ui/index.html'));
    expect(staleBecause(ui)).toMatch(/index\.html is missing/);
  });

  it('skips the build while nothing the build reads changed, and not for a spec file', () => {
    const root = builtTree();
    expect(staleBecause(root)).toBeNull();
    at(join(root, 'libs/features/src/a.spec.ts'), Date.now());
    expect(staleBecause(root)).toBeNull();
  });

  it.each([
    ['a source file', 'libs/features/src/a.ts', /^libs\/features\/src\/a\.ts changed$/],
    ['the entry point', 'apps/api/src/main.ts', /^apps\/api\/src\/main\.ts changed$/],
    ['tsconfig.json', 'tsconfig.json', /^tsconfig\.json changed$/],
    ['package.json', 'package.json', /^package\.json changed$/],
    ["the UI's script", 'web/main.ts', /^web\/main\.ts changed$/],
    ["the UI's style", 'web/style.css', /^web\/style\.css changed$/],
  ])('builds again after a change to %s', (_what, path, reason) => {
    const root = builtTree();
    at(join(root, path), Date.now());
    expect(staleBecause(root)).toMatch(reason);
  });

  it('builds again after a file is added or deleted (its folder changes)', () => {
    const root = builtTree();
    write(root, 'libs/features/src/b.ts');
    expect(staleBecause(root)).toMatch(/^libs\/features\/src(\/b\.ts)? changed$/);
    rmSync(join(root, 'libs/features/src/b.ts'));
    const again = builtTree();
    rmSync(join(again, 'libs/features/src/a.ts'));
    expect(staleBecause(again)).toBe('libs/features/src changed');
  });
});
