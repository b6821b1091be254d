// @ts-check
/**
 * `npm start`'s prestart: builds only when a source changed since the last build.
 *
 *   node scripts/build-if-stale.js          build (npm run build) unless dist is up to date
 *   node scripts/build-if-stale.js --mark   record that dist was just built (the end of npm run build)
 *
 * Up to date means: the stamp dist/.build-stamp exists, the entry point and the UI page exist, and
 * no input is newer than the stamp. Inputs are the files the build compiles (apps/, libs/ without
 * specs, the UI's web/ with its CSS), their
 * folders (a deleted or renamed file changes its folder's time) and the configuration
 * (tsconfig*.json, package*.json). Plain JavaScript, so the check itself costs no compilation.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const STAMP = join('dist', '.build-stamp');
const ENTRY = join('dist', 'apps', 'api', 'src', 'main.js');
const UI_PAGE = join('dist', 'ui', 'index.html');
const SOURCE_DIRS = ['apps', 'libs', 'web'];
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

/**
 * Why `root`'s build is out of date (a short reason naming a file), or null when it is not.
 * @param {string} root
 * @returns {string | null}
 */
function staleBecause(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return 'no build recorded yet';
  if (!existsSync(join(root, ENTRY))) return `${ENTRY} is missing`;
  if (!existsSync(join(root, UI_PAGE))) return `${UI_PAGE} is missing`;
  const builtAt = statSync(stamp).mtimeMs;
  for (const file of CONFIG_FILES) {
    const path = join(root, file);
    if (existsSync(path) && statSync(path).mtimeMs > builtAt) return `${file} changed`;
  }
  for (const dir of SOURCE_DIRS) {
    const newer = newerIn(join(root, dir), builtAt);
    if (newer !== null) return `${relative(root, newer)} changed`;
  }
  return null;
}

/**
 * The first file or folder under `dir` changed after `time` (specs and tests excluded), or null.
 * @param {string} dir
 * @param {number} time
 * @returns {string | null}
 */
function newerIn(dir, time) {
  if (!existsSync(dir)) return null;
  if (statSync(dir).mtimeMs > time) return dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules') continue;
      const newer = newerIn(path, time);
      if (newer !== null) return newer;
    } else if (/\.(ts|css)$/.test(entry.name) && !/\.(spec|test)\.ts$/.test(entry.name) && statSync(path).mtimeMs > time) {
      return path;
    }
  }
  return null;
}

/**
 * Records a finished build.
 * @param {string} root
 */
function mark(root) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, STAMP), `${new Date().toISOString()}\n`);
}

module.exports = { staleBecause, mark };

if (require.main === module) {
  const root = join(__dirname, '..');
  if (process.argv.includes('--mark')) {
    mark(root);
  } else {
    const reason = staleBecause(root);
    if (reason === null) {
      console.error('build is up to date (no source changed since the last build): not compiling');
    } else {
      console.error(`building: ${reason}`);
      const started = new Date();
      const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
      // A source saved while the build ran is newer than this stamp: the next start builds again.
      if (build.status === 0) utimesSync(join(root, STAMP), started, started);
      process.exit(build.status ?? 1);
    }
  }
}
