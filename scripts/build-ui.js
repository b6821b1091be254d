// @ts-check
/**
 * Builds the catalog UI (web/) into dist/ui/index.html: esbuild bundles the TypeScript and its
 * libraries (uPlot, dagre) and CSS, minified, and the page inlines both, so the server answers
 * GET /ui with one self-contained file and the browser loads nothing from anywhere else (no CDN).
 *
 *   node scripts/build-ui.js        (part of npm run build)
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');

/** Bundles web/main.ts; returns the page's HTML. */
async function buildPage() {
  const result = await esbuild.build({
    entryPoints: [join(root, 'web', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome110', 'firefox115', 'safari16'],
    outdir: join(root, 'dist', 'ui', 'assets'),
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
  // Inside <script>, "</script" would end the element early; "<\/" means the same in JS strings.
  const script = js.replace(/<\/(script)/gi, '<\\/$1');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feature store catalog</title>
<style>${css}</style>
</head>
<body>
<div id="app"></div>
<script>${script}</script>
</body>
</html>
`;
}

async function main() {
  const started = Date.now();
  const html = await buildPage();
  mkdirSync(join(root, 'dist', 'ui'), { recursive: true });
  writeFileSync(join(root, 'dist', 'ui', 'index.html'), html);
  console.error(`dist/ui/index.html: ${Math.round(html.length / 1024)} KiB in ${Date.now() - started} ms`);
}

module.exports = { buildPage };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
