// The web console end to end, by clicking in real headless Chromium: the real tunnel-service serving the
// built console, the real tunnel-client with the calculator, and the console's own MCP client (the
// official SDK, bundled) calling the calculator's `add` through the tunnel.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { browserSkip, launchBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { ROOT } from '../support/processes.ts';
import { startService, type Service } from '../support/service-process.ts';
import { startClient, waitReady, type Client } from '../support/client-process.ts';
import { api } from '../support/management-api.ts';

const skip = browserSkip();
const DIST = join(ROOT, 'packages/service/console/dist/index.html');
const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
// Screenshots for docs/console.md are refreshed with DOCS_SCREENSHOTS=1 (npm run docs:screenshots); normal runs leave docs alone.
const SCREENSHOTS = process.env.DOCS_SCREENSHOTS === '1' ? join(ROOT, 'docs/images') : null;

const OWNER = { name: 'Olivia Owner', email: 'owner@example.com', password: 'owner password 123' };
const MEMBER = { name: 'Max Member', email: 'max@example.com', password: 'member password 123' };
const VERA_NAME = 'Vera Viewer';
const VIEWER = { name: VERA_NAME, email: 'vera@example.com', password: 'viewer password 123' };
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };
const LAPTOP = { width: 1366, height: 768 };

let service: Service;
let browser: Browser;
let client: Client | undefined;
const checkedPages: string[] = [];

before(async () => {
  if (skip) return;
  assert.ok(existsSync(DIST), 'the console is not built: run `npm run build` (npm test does it first)');
  service = await startService();
  browser = await launchBrowser();
});

after(async () => {
  await client?.stop();
  await browser?.close();
  await service?.stop();
});

/** axe-core on the page as it is: no serious or critical violations; then a screenshot for the docs. */
async function checkPage(page: Page, name: string): Promise<void> {
  // Evaluated, not added as a <script>: the console's Content-Security-Policy refuses inline scripts.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: () => Promise<{ violations: AxeViolation[] }> } })
      .axe;
    const result = await axe.run();
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `accessibility violations on the ${name} page`);
  checkedPages.push(name);
  if (SCREENSHOTS) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
  }
}
type AxeViolation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };
type PageGlobals = {
  innerWidth: number;
  document: {
    documentElement: { scrollWidth: number };
    querySelectorAll: (selector: string) => Iterable<{
      tagName: string;
      className: string;
      textContent: string | null;
      getBoundingClientRect: () => { right: number };
    }>;
  };
};

/** What any page reported breaking the Content-Security-Policy: the console must need nothing it forbids. */
const cspViolations: string[] = [];

async function newPage(viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text()))
      cspViolations.push(`${page.url()}: ${message.text()}`);
  });
  page.setDefaultTimeout(30_000);
  return { context, page };
}

/** How far the page scrolls sideways, and the widest elements sticking out, for the failure message. */
async function sidewaysOverflow(page: Page): Promise<{ overflow: number; culprits: string[] }> {
  return page.evaluate(() => {
    // Runs in the page; this file is type-checked without the DOM library, hence the shape spelled out.
    const { document, innerWidth: width } = globalThis as unknown as PageGlobals;
    const culprits = [...document.querySelectorAll('main *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent?.slice(0, 40)}`);
    return { overflow: document.documentElement.scrollWidth - width, culprits };
  });
}

/** The audit table at the page's width: how wide it is, how wide its scroll box, and which actions wrap. */
async function auditTableFit(page: Page) {
  return page.evaluate(() => {
    type Box = { clientWidth: number; scrollWidth: number };
    type Code = { textContent: string | null; getClientRects: () => { length: number } };
    const { document, innerWidth } = globalThis as unknown as {
      innerWidth: number;
      document: {
        documentElement: Box;
        querySelector: (selector: string) => Box;
        querySelectorAll: (selector: string) => Iterable<Code>;
      };
    };
    const wrap = document.querySelector('[aria-label="Audit entries table"]');
    const table = document.querySelector('[aria-label="Audit entries table"] table');
    const actions = [...document.querySelectorAll('[aria-label="Audit entries table"] td code')];
    return {
      rows: actions.length,
      tableWidth: table.scrollWidth,
      visibleWidth: wrap.clientWidth,
      // An inline element broken across lines has one box per line.
      brokenActions: actions.filter((code) => code.getClientRects().length > 1).map((c) => c.textContent),
      pageOverflow: document.documentElement.scrollWidth - innerWidth,
    };
  });
}

const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name });

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto(`${service.url}/console/#/sign-in`);
  await heading(page, 'Sign in').waitFor();
  // By keyboard only: focus the first field, Tab to the next, Enter submits.
  await page.getByLabel('Email').focus();
  await page.keyboard.type(who.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(who.password);
  await page.keyboard.press('Enter');
  await heading(page, 'Tunnels').waitFor();
}

async function goTo(page: Page, section: string, title: string) {
  await page
    .getByRole('navigation', { name: 'Console sections' })
    .getByRole('link', { name: section })
    .click();
  await heading(page, title).waitFor();
}

/** Invites `email` with the named role; returns the one-time link the page shows. */
async function invite(page: Page, email: string, role: string): Promise<string> {
  await page.getByLabel('Email').fill(email);
  await page.getByRole('group', { name: 'Roles' }).getByLabel(role, { exact: true }).check();
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  // The link of this invitation, not the one shown for the previous invitation.
  const link = page.locator('section', { hasText: `Invitation link for ${email}` }).locator('code');
  await link.waitFor();
  return (await link.textContent())!;
}

async function accept(link: string, who: { name: string; password: string }, check = false): Promise<Page> {
  const { page } = await newPage();
  await page.goto(link);
  await heading(page, 'Accept invitation').waitFor();
  if (check) await checkPage(page, 'accept');
  await page.getByLabel('Your name').fill(who.name);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Join the organization' }).click();
  await heading(page, 'Tunnels')
    .waitFor()
    .catch(async (error: unknown) => {
      throw new Error(`accepting failed; the page says: ${await page.locator('main').textContent()}`, {
        cause: error,
      });
    });
  return page;
}

test(
  'the console, by clicking: owner setup to a tool call through the tunnel',
  { skip, timeout: 170_000 },
  async () => {
    // First run: `/` leads to the console, which asks for the owner key printed at first start.
    const { page: owner } = await newPage();
    await owner.goto(`${service.url}/`);
    await heading(owner, "Set up the owner's sign-in").waitFor();
    assert.match(owner.url(), /\/console\/$/);
    await checkPage(owner, 'setup');
    await owner.getByLabel('Owner key').fill(service.ownerKey);
    await owner.getByLabel('Your name').fill(OWNER.name);
    await owner.getByLabel('Email').fill(OWNER.email);
    await owner.getByLabel('Password').fill(OWNER.password);
    await owner.getByRole('button', { name: 'Create owner sign-in' }).click();
    await heading(owner, 'Tunnels').waitFor();

    // Sign out and back in with the new password.
    await owner.getByRole('button', { name: 'Sign out' }).click();
    await heading(owner, 'Sign in').waitFor();
    await checkPage(owner, 'sign-in');
    await signIn(owner, OWNER);

    // Roles: one that builds and uses tunnels, one that only reads them.
    await goTo(owner, 'Roles', 'Roles');
    await owner.getByLabel('Role name').fill('Tunnel builders');
    const atoms = owner.getByRole('group', { name: 'Permissions' });
    for (const atom of ['Tunnels Read', 'Tunnels Manage', 'Tunnels Use', 'API keys Manage'])
      await atoms.getByLabel(atom).check();
    await owner.getByRole('button', { name: 'Create role' }).click();
    await owner.getByRole('heading', { level: 3, name: 'Tunnel builders' }).waitFor();
    await owner.getByLabel('Role name').fill('Viewers');
    await atoms.getByLabel('Tunnels Read').check();
    await owner.getByRole('button', { name: 'Create role' }).click();
    await owner.getByRole('heading', { level: 3, name: 'Viewers' }).waitFor();
    await checkPage(owner, 'roles');

    // Invitations: one-time links shown once.
    await goTo(owner, 'Members', 'Members');
    const memberLink = await invite(owner, MEMBER.email, 'Tunnel builders');
    assert.match(memberLink, /\/console\/#\/accept\?token=/);
    await checkPage(owner, 'members');
    const viewerLink = await invite(owner, VIEWER.email, 'Viewers');

    // The member accepts in a browser of their own, then signs in again (by keyboard).
    const member = await accept(memberLink, MEMBER, true);
    await checkPage(member, 'tunnels-empty');
    await member.getByRole('button', { name: 'Sign out' }).click();
    await heading(member, 'Sign in').waitFor();
    await signIn(member, MEMBER);

    // A member without Tunnels Manage sees the button disabled, with the reason.
    const viewer = await accept(viewerLink, VIEWER);
    const viewerCreate = viewer.getByRole('button', { name: 'Create tunnel' });
    assert.equal(await viewerCreate.isDisabled(), true);
    assert.equal(
      await viewerCreate
        .getAttribute('aria-describedby')
        .then((id) => viewer.locator(`#${id}`).textContent()),
      'Needs the Tunnels Manage permission.',
    );
    await checkPage(viewer, 'tunnels-read-only');
    const refused = await viewer.evaluate(async () => {
      const { csrf_token } = (await (await fetch('/v1/auth/session')).json()) as { csrf_token: string };
      const response = await fetch('/v1/tunnels', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token },
        body: JSON.stringify({ name: 'not allowed' }),
      });
      return response.status;
    });
    assert.equal(refused, 403, 'the API refuses what the console disables');

    // The member creates a tunnel; organization ids come pre-filled with theirs.
    await member.getByRole('button', { name: 'Create tunnel' }).click();
    await member.getByLabel('Name', { exact: true }).fill('calculator');
    await member.getByLabel('Description').fill('The calculator example');
    assert.match(await member.getByLabel('Organization ids').inputValue(), /^org_/);
    await member.getByRole('button', { name: 'Create', exact: true }).click();
    const card = member
      .getByRole('listitem')
      .filter({ has: member.getByRole('heading', { name: 'calculator' }) });
    await card.waitFor();
    const tunnelId = (await card.locator('code.value').textContent())!;
    assert.match(tunnelId, /^tunnel_/);

    // The walkthrough's runtime key, made through the API: a service account holding a Read + Use role.
    const runtimeRole = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/roles', {
      name: 'tunnel runtime',
      permissions: ['tunnel.read', 'tunnel.use'],
    });
    await api(service.url, service.ownerKey, 'POST', '/v1/service_accounts', {
      name: 'laptop',
      role_ids: [runtimeRole.id],
    });

    // A restricted key (Tunnels Read + Use): the tunnel-client's runtime key.
    await goTo(member, 'API keys', 'API keys');
    // The service account's key follows its role: the page names what it may do, not "all".
    await member
      .getByRole('row', { name: /^laptop key/ })
      .getByRole('cell', { name: 'Tunnels Read, Tunnels Use (all of its owner’s)', exact: true })
      .waitFor();
    await member.getByLabel('Name', { exact: true }).fill('calculator runtime');
    await member.getByLabel('Restrict to chosen permissions').check();
    const keyAtoms = member.getByRole('group', { name: 'Permissions of the key' });
    await keyAtoms.getByLabel('Tunnels Read').check();
    await keyAtoms.getByLabel('Tunnels Use').check();
    await member.getByRole('button', { name: 'Create key' }).click();
    const secret = (await member.locator('section.secret code').textContent())!;
    assert.ok(secret.length > 20, 'the secret is shown once');
    await member.getByRole('cell', { name: 'Tunnels Read, Tunnels Use', exact: true }).waitFor();
    await checkPage(member, 'api-keys');

    client = await startClient(service, { tunnelId, runtimeKey: secret });
    await waitReady(client.opsUrl);

    // Live state on the tunnels page refreshes by itself.
    await goTo(member, 'Tunnels', 'Tunnels');
    await card.getByText('1 client polling').waitFor();
    await checkPage(member, 'tunnels');

    // A connector app, as a chat app's "Create app" would make it, authenticating with the key.
    await goTo(member, 'Connectors', 'Connectors');
    await member.getByLabel('Name', { exact: true }).fill('Calculator app');
    const tunnelChoice = member.getByRole('combobox', { name: 'Tunnel', exact: true });
    await tunnelChoice.waitFor();
    // The list renders first and the first tunnel is chosen in an effect just after: until then the value
    // is empty. Wait (bounded) for the choice rather than read it once.
    await eventually(
      async () => (await tunnelChoice.inputValue()) === tunnelId,
      10_000,
      `the form to choose ${tunnelId}`,
      100,
    );
    await member.getByRole('radio', { name: 'API key' }).check();
    await member.locator('input#connector-key').fill(secret);
    await member.getByRole('button', { name: 'Create', exact: true }).click();
    await member.getByRole('link', { name: 'Calculator app' }).click();
    await heading(member, 'Connector Calculator app').waitFor();
    await member.getByRole('heading', { name: 'Tools (4)' }).waitFor();
    // The console's client negotiates the era like any SDK v2 client: the calculator is a 2025-era server,
    // so server/discover is not offered and it falls back to initialize.
    assert.match(
      (await member.getByRole('status').filter({ hasText: 'Connected to' }).textContent()) ?? '',
      /Connected to .+ \(MCP 2025-\d\d-\d\d\)\./,
    );
    for (const tool of ['Add two numbers', 'Subtract b from a', 'Multiply two numbers', 'Divide a by b'])
      await member.getByRole('list', { name: 'Tools' }).getByRole('heading', { name: tool }).waitFor();

    // Run `add` with 5 and 3 from the form generated from its input schema.
    await member.getByLabel('Tool', { exact: true }).selectOption('add');
    await member.getByLabel('a (required)').fill('5');
    await member.getByLabel('b (required)').fill('3');
    await member.getByRole('button', { name: 'Call tool' }).click();
    const result = member.locator('section.result pre');
    await result.waitFor();
    assert.equal(await result.textContent(), '5 + 3 = 8');
    // Ready-to-paste configurations name the connector URL.
    const url = `${service.url}/v1/mcp/${tunnelId}`;
    assert.match(
      (await member.getByRole('region', { name: 'MCP Inspector' }).textContent()) ?? '',
      new RegExp(url),
    );
    await checkPage(member, 'connector');
    // A tool's own error is shown as one.
    await member.getByLabel('Tool', { exact: true }).selectOption('divide');
    await member.getByLabel('a (required)').fill('1');
    await member.getByLabel('b (required)').fill('0');
    await member.getByRole('button', { name: 'Call tool' }).click();
    await member.getByRole('heading', { name: 'The tool reported an error' }).waitFor();
    assert.equal(await member.locator('section.result pre').textContent(), 'Cannot divide by zero');

    // The tunnel's own page lists the client and the traffic the tool call made.
    await goTo(member, 'Tunnels', 'Tunnels');
    await member.getByRole('link', { name: 'calculator' }).click();
    await heading(member, 'Tunnel calculator').waitFor();
    await member.getByRole('cell', { name: /tools\/call \(add\)/ }).waitFor();
    await checkPage(member, 'tunnel');

    // The owner reads the audit log and exports it as JSON lines.
    await goTo(owner, 'Audit log', 'Audit log');
    await owner.getByLabel('Action').fill('tunnel.create');
    await owner.getByRole('button', { name: 'Apply filters' }).click();
    await owner.getByRole('cell', { name: MEMBER.name }).first().waitFor();
    await checkPage(owner, 'audit');
    const exported = await owner.evaluate(async () =>
      (await fetch('/v1/audit/export?action=tunnel.create')).text(),
    );
    const lines = exported
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string });
    assert.ok(lines.length >= 1 && lines.every((line) => line.action === 'tunnel.create'));

    // On a common laptop screen the whole log fits: no column clipped, no action broken across lines.
    await owner.setViewportSize(LAPTOP);
    await owner.getByLabel('Action').fill('');
    await owner.getByRole('button', { name: 'Apply filters' }).click();
    await owner.getByRole('cell', { name: 'service_account.create', exact: true }).waitFor();
    const fit = await auditTableFit(owner);
    assert.ok(fit.rows > 10, `the unfiltered log has more than ${fit.rows} entries`);
    assert.ok(
      fit.tableWidth <= fit.visibleWidth,
      `the audit table is ${fit.tableWidth}px wide in ${fit.visibleWidth}px at 1366 px`,
    );
    assert.deepEqual(fit.brokenActions, [], 'actions broken across lines');
    assert.ok(fit.pageOverflow <= 0, `the page scrolls sideways by ${fit.pageOverflow}px`);

    // Editing a tunnel; changing a member's roles; removing a member ends their session.
    await goTo(member, 'Tunnels', 'Tunnels');
    await card.getByRole('button', { name: 'Edit calculator' }).click();
    await member.getByLabel('Response deadline').fill('30s');
    await member.getByRole('button', { name: 'Save' }).click();
    await card.getByText('30s', { exact: true }).waitFor();
    await goTo(owner, 'Members', 'Members');
    const vera = owner.getByRole('listitem').filter({ has: owner.getByRole('heading', { name: VERA_NAME }) });
    await vera.getByRole('button', { name: `Change roles of ${VERA_NAME}` }).click();
    await vera.getByLabel('Tunnel builders').check();
    await vera.getByRole('button', { name: 'Save roles' }).click();
    await vera.getByText(/Roles: .*Tunnel builders/).waitFor();
    owner.once('dialog', (dialog) => void dialog.accept());
    await vera.getByRole('button', { name: `Remove ${VERA_NAME}` }).click();
    await vera.waitFor({ state: 'detached' });
    await viewer.reload();
    await heading(viewer, 'Sign in').waitFor();

    // On a phone-sized screen no page scrolls sideways.
    const { page: phone } = await newPage(PHONE);
    await signIn(phone, MEMBER);
    for (const [section, title] of [
      ['Tunnels', 'Tunnels'],
      ['Connectors', 'Connectors'],
      ['API keys', 'API keys'],
      ['Members', 'Members'],
      ['Roles', 'Roles'],
      ['Audit log', 'Audit log'],
    ] as const) {
      await goTo(phone, section, title);
      await phone.waitForLoadState('networkidle').catch(() => undefined);
      const { overflow, culprits } = await sidewaysOverflow(phone);
      assert.ok(
        overflow <= 0,
        `the ${section} page is ${overflow}px wider than a phone screen: ${culprits.join('; ')}`,
      );
    }
    await phone.getByRole('link', { name: 'Connectors' }).click();
    await phone.getByRole('link', { name: 'Calculator app' }).click();
    // The key lives only in the browser tab that created the connector: this one asks for it.
    // Wait for the connector's own page: until the route changes, the create form's "API key" fields
    // are still on screen.
    const useKey = phone.getByRole('button', { name: 'Use this key' });
    await useKey.waitFor();
    await phone.getByRole('textbox', { name: 'API key' }).fill(secret);
    await useKey.click();
    await phone.getByRole('heading', { name: 'Tools (4)' }).waitFor();
    const { overflow, culprits } = await sidewaysOverflow(phone);
    assert.ok(
      overflow <= 0,
      `the connector page is ${overflow}px wider than a phone screen: ${culprits.join('; ')}`,
    );
    if (SCREENSHOTS) await phone.screenshot({ path: join(SCREENSHOTS, 'console-phone.png'), fullPage: true });

    assert.equal(checkedPages.length, 12, `axe ran on: ${checkedPages.join(', ')}`);
    assert.deepEqual(cspViolations, [], 'no page broke its Content-Security-Policy');
  },
);
