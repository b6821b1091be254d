import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ROOT } from './helpers';

// The functions handed to page.evaluate run in the browser; this program is compiled without the DOM library.
declare const document: { body: { dataset: Record<string, string | undefined> } };
declare const location: { href: string };

/** Where the UI tests leave their screenshots (gitignored). */
export const RESULTS_DIR = join(ROOT, 'test-results');

/**
 * Debian's chromium (scripts/ensure-chromium.sh installs it): puppeteer-core never downloads a
 * browser. CHROMIUM_PATH overrides the lookup.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('no chromium: run `bash scripts/ensure-chromium.sh` (npm test runs it as pretest)');
  return found;
}

/** Starts headless chromium (no sandbox: tests run as root in containers). */
export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
    defaultViewport: { width: 1280, height: 900 },
  });
}

/**
 * Opens a hash route of the UI and waits until the page has its data (`body[data-ready]` set to
 * the route by web/main.ts after the page's requests answered). Fails on a page error.
 */
export async function openPage(page: Page, base: string, route: string, timeoutMs = 20_000): Promise<void> {
  const path = route.split('?')[0];
  await page.evaluate(() => delete document.body?.dataset.ready).catch(() => undefined);
  const url = `${base}/ui#${route}`;
  // The same route again fires no hashchange: load the page anew.
  if (page.url() === url) await page.reload({ waitUntil: 'domcontentloaded' });
  else if (page.url().startsWith(`${base}/ui`)) await page.evaluate((u) => (location.href = u), url);
  else await page.goto(url, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction((p) => document.body.dataset.ready === (p || '/'), { timeout: timeoutMs }, decodeURIComponent(path));
}

/** Saves a screenshot under test-results/ (and returns its path). */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file as `${string}.png`, fullPage });
  return file;
}

/** Builds dist/ui/index.html from web/ when the tests run from sources (a second or less). */
export function buildUi(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-ui.js')], { stdio: 'inherit' });
}
