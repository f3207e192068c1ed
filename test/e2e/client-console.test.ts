// The tunnel-client's /ui console in real headless Chromium, while real MCP calls go through the real
// tunnel-service and tunnel-client to the calculator. With DOCS_SCREENSHOTS=1 (npm run docs:screenshots)
// the screenshots of each tab are written to docs/images/ for docs/client-operations.md.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../support/processes.ts';
import type { Runtime } from '../support/management-api.ts';
import type { Client } from '../support/client-process.ts';
import { browserSkip, launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { connectSdk } from '../support/mcp-callers.ts';
import { startSystem, type System } from '../support/system.ts';

const skip = browserSkip();
const SHOTS =
  process.env.DOCS_SCREENSHOTS === '1'
    ? join(ROOT, 'docs/images')
    : mkdtempSync(join(tmpdir(), 'tunnel-client-console-'));
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let system: System;
let runtime: Runtime;
let client: Client;
let browser: Browser;
let page: Page;

async function withMcp<T>(work: (mcp: McpClient) => Promise<T>): Promise<T> {
  const { mcp, end } = await connectSdk(system.connectorUrl, runtime.runtimeKey);
  try {
    return await work(mcp);
  } finally {
    await end();
  }
}

async function openTab(name: string): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await page.getByRole('tab', { name, selected: true }).waitFor();
}

/** Serious and critical accessibility problems axe-core finds on the page as it stands. */
async function accessibilityProblems(): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (o: unknown) => Promise<unknown> } }).axe;
    return (await axe.run({ runOnly: ['wcag2a', 'wcag2aa'] })) as {
      violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
    };
  });
  return found.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

before(async () => {
  if (skip) return;
  system = await startSystem();
  ({ runtime, client } = system);
  browser = await launchBrowser();
  // bypassCSP only lets the test inject axe-core; the page itself runs under its own policy.
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, bypassCSP: true });
  page = await context.newPage();
  page.on('pageerror', (error) => assert.fail(`the console threw: ${error.message}`));
});

after(async () => {
  await browser?.close();
  await system?.stop();
  if (process.env.DOCS_SCREENSHOTS !== '1') rmSync(SHOTS, { recursive: true, force: true });
});

describe('the /ui console', { skip, timeout: 120_000 }, () => {
  test('Overview shows the tunnel, the instance and readiness', async () => {
    await page.goto(`${client.opsUrl}/ui`);
    await page.getByText('Ready: the service accepted the key').waitFor();
    const text = await page.locator('main').innerText();
    assert.match(text, new RegExp(runtime.tunnelId));
    assert.match(text, /Instance id/);
    assert.match(text, /connected/);
    assert.deepEqual(await accessibilityProblems(), []);
    await page.screenshot({ path: join(SHOTS, 'ui-overview.png') });
  });

  test('MCP calls appear live in Live traffic, and a captured call shows its request and response', async () => {
    await openTab('Live traffic');
    await page.getByText('● live').waitFor();
    const capture = page.getByLabel('Capture payloads (redacted)');
    const captured = page.waitForResponse(
      (r) => r.url().endsWith('/api/traffic/capture') && r.request().method() === 'PUT',
    );
    await capture.check();
    assert.equal((await captured).status(), 200);
    assert.equal(await capture.isChecked(), true);

    await withMcp(async (mcp) => {
      await mcp.listTools();
      const sum = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
      assert.deepEqual(sum.content, [{ type: 'text', text: '5 + 3 = 8' }]);
      await mcp.callTool({ name: 'multiply', arguments: { a: 6, b: 7 } });
      await mcp.callTool({ name: 'divide', arguments: { a: 1, b: 0 } }).catch(() => {});
    });

    // The add call's row by its tool cell: "add" anywhere in the row could also be a session id's hex.
    const addRow = page
      .locator('table.traffic tbody tr')
      .filter({ has: page.getByRole('cell', { name: 'add', exact: true }) })
      .filter({ hasText: 'tools/call' });
    await addRow.first().waitFor({ timeout: 10_000 });
    await page.locator('table.traffic tbody tr', { hasText: 'tools/list' }).first().waitFor();
    // A row shows up when its call starts and gets its outcome from a later event: wait for that, then check.
    await addRow
      .filter({ hasText: /\bok\b/ })
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(() => undefined);
    assert.match(await addRow.first().innerText(), /\bok\b/);

    await addRow.first().getByRole('button').click();
    const detail = page.locator('section.detail');
    await detail.getByText('5 + 3 = 8').first().waitFor();
    const shown = await detail.innerText();
    assert.match(shown, /"a": 5/);
    assert.ok(!shown.includes(runtime.runtimeKey), 'the runtime key never reaches the page');
    // Beside the inspector the table still shows each call's duration without sideways scrolling.
    const table = (await page.locator('.scroll.calls').boundingBox())!;
    const durationHeader = (await page.getByRole('columnheader', { name: 'Duration' }).boundingBox())!;
    assert.ok(
      durationHeader.x + durationHeader.width <= table.x + table.width + 1,
      'the Duration column is not cut off by the inspector',
    );
    assert.deepEqual(await accessibilityProblems(), []);
    await page.screenshot({ path: join(SHOTS, 'ui-traffic.png') });
  });

  test('Channels shows the stdio binding, its child pid and call totals', async () => {
    await openTab('Channels');
    const row = page.locator('tbody tr', { hasText: 'main' });
    await row.waitFor();
    // The page refreshes its status every 2 s: wait for the refresh that counts the calls just made.
    let cells: string[] = [];
    await eventually(
      async () => Number((cells = await row.locator('td').allInnerTexts())[5]) >= 4,
      15_000,
      () => `the calls on main to be counted (the row shows ${cells.join(' | ')})`,
      200,
    );
    assert.equal(cells[0], 'stdio');
    assert.match(cells[2]!, /^\d+$/, 'the child pid');
    assert.ok(Number(cells[5]) >= 4, `calls on main: ${cells[5]}`);
    await page.screenshot({ path: join(SHOTS, 'ui-channels.png') });
  });

  test('the log level switch takes effect, and debug lines appear', async () => {
    await openTab('Logs');
    const changed = page.waitForResponse(
      (r) => r.url().endsWith('/api/log-level') && r.request().method() === 'PUT',
    );
    await page.locator('#log-level').selectOption('debug');
    assert.equal((await changed).status(), 200);
    const level = (await (await fetch(`${client.opsUrl}/api/log-level`)).json()) as { level: string };
    assert.equal(level.level, 'debug');
    await withMcp((mcp) => mcp.callTool({ name: 'subtract', arguments: { a: 10, b: 4 } }));
    await page
      .locator('.log li.level-debug', { hasText: 'command finished' })
      .first()
      .waitFor({ timeout: 10_000 });
    await page.getByLabel('Show from').selectOption('info');
    assert.equal(await page.locator('.log li.level-debug').count(), 0, 'the level filter hides debug lines');
    await page.getByLabel('Show from').selectOption('trace');
    assert.deepEqual(await accessibilityProblems(), []);
    await page.screenshot({ path: join(SHOTS, 'ui-logs.png') });
  });

  test('the support bundle downloads with logs, status and config, and without the API key', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download support bundle' }).click(),
    ]);
    const text = readFileSync((await download.path())!, 'utf8');
    assert.ok(!text.includes(runtime.runtimeKey), 'the API key is not in the bundle');
    const bundle = JSON.parse(text) as {
      status: { tunnel_id: string };
      config: { controlPlane: { apiKey: string } };
      logs: { msg: string }[];
      traffic: { method: string }[];
    };
    assert.equal(bundle.status.tunnel_id, runtime.tunnelId);
    assert.equal(bundle.config.controlPlane.apiKey, '[redacted]');
    assert.ok(bundle.logs.some((l) => /tunnel-client started/.test(l.msg)));
    assert.ok(bundle.traffic.some((c) => c.method === 'tools/call'));
  });

  test('Metrics draws rate, latency and error charts', async () => {
    // A few seconds of steady calls, so the charts have several buckets to draw.
    await withMcp(async (mcp) => {
      for (let i = 0; i < 12; i++) {
        await mcp.callTool({ name: 'add', arguments: { a: i, b: 1 } });
        if (i % 4 === 3) await mcp.callTool({ name: 'divide', arguments: { a: i, b: 0 } }).catch(() => {});
        await new Promise((r) => setTimeout(r, 600));
      }
    });
    await openTab('Metrics');
    await page.locator('.chart canvas').nth(2).waitFor();
    assert.equal(await page.locator('.chart canvas').count(), 3);
    assert.match(await page.locator('.summary').innerText(), /[1-9]\d* calls/);
    await page.screenshot({ path: join(SHOTS, 'ui-metrics.png') });
  });

  test('tabs work from the keyboard and the page fits a narrow screen', async () => {
    await page.getByRole('tab', { name: 'Metrics' }).focus();
    await page.keyboard.press('Home');
    await page.getByRole('tab', { name: 'Overview', selected: true }).waitFor();
    await page.keyboard.press('ArrowRight');
    await page.getByRole('tab', { name: 'Channels', selected: true }).waitFor();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('tab', { name: 'Metrics', selected: true }).waitFor();

    await page.setViewportSize({ width: 380, height: 800 });
    for (const name of ['Overview', 'Live traffic', 'Logs', 'Metrics']) {
      await openTab(name);
      const overflow = Number(
        await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
      );
      assert.ok(overflow <= 1, `${name} is ${overflow}px wider than a 380px screen`);
    }
  });
});
