/**
 * Live chat's "done when", in Chromium: a signed-in resident opens "Chat with us" on the home
 * page, says what it is about, is offered the online service that matches, asks for an
 * adviser and waits in the queue; an adviser (signed in with two-factor, in another browser
 * context) accepts from the console and they talk. The connection is then cut — every chat
 * socket dropped by the server while the resident's browser is offline — and the adviser
 * carries on; when the resident is back, every message is there exactly once, and still
 * after moving to another page. The adviser ends the chat, the resident rates it and asks for
 * a copy by email, and the conversation is in My Account. axe-core checks every page and
 * every state of the chat panel. Also: with JavaScript off, "Chat with us" is a contact form;
 * and the chat embedded on another council website works.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'node:test';
import type { Page } from 'playwright-core';
import { councilFileWith } from '../test/council-file.js';
import { smtpServer } from '../test/smtp.js';
import { checkAccessibility, launchBrowser, screenshot, startServer } from './harness.js';
import { signedInStaff, signUp, waitForMail } from './people.js';

/** A Monday morning, when the demo council's advisers are online. */
const IN_HOURS = () => new Date('2026-11-30T10:00:00Z');
const TOPIC = 'My bin was not emptied this week';

/** How many times each of these texts is in the resident's chat panel. */
async function countsIn(page: Page, texts: string[]): Promise<number[]> {
  const said = await page.locator('.app-chat__log .app-chat__said').allInnerTexts();
  return texts.map((text) => said.filter((s) => s === text).length);
}

await test('a resident and an adviser chat, through a cut connection, into My Account', async (t) => {
  const smtp = await smtpServer(t);
  const server = await startServer(t, { SMTP_URL: smtp.url }, { chatHoursClock: IN_HOURS });
  const base = server.baseUrl;
  const browser = await launchBrowser(t);

  // The adviser: signs in, sets up two-factor, says they are taking chats.
  const adviser = await signedInStaff(t, browser, server, smtp, {
    name: 'Ade Adviser',
    email: 'ade@westmoor.example.gov.uk',
    role: 'agent',
    team: null,
  });
  await adviser.goto(`${base}/staff/chat`);
  await adviser.getByLabel('Available').check();
  await adviser.getByRole('button', { name: 'Save' }).click();
  await checkAccessibility(adviser);

  // The resident: signed in, on the home page.
  const resident = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await signUp(resident, server, smtp, 'Sam Resident', 'sam.chat@example.org');
  await resident.goto(`${base}/`);
  await resident.getByRole('link', { name: 'Chat with us' }).click();
  const panel = resident.getByRole('dialog', { name: 'Chat with us' });
  await panel.getByLabel('What do you need help with?').fill(TOPIC);
  await checkAccessibility(resident);
  await panel.getByRole('button', { name: 'Send' }).click();
  await panel.getByText(/You can report a missed bin collection online now/).waitFor();
  assert.ok(await panel.getByRole('link', { name: 'Report a missed bin collection' }).isVisible());
  await checkAccessibility(resident);
  await panel.getByRole('button', { name: 'Talk to an adviser' }).click();
  await panel.getByText(/You are number 1 in the queue/).waitFor();
  await checkAccessibility(resident);

  // The adviser sees the chat arrive in the queue without reloading, and accepts it.
  await adviser.getByRole('cell', { name: TOPIC }).waitFor();
  await adviser.getByRole('button', { name: /Accept/ }).click();
  await adviser.waitForURL(/\/staff\/chat\/\d+$/);
  await adviser.getByText(TOPIC).first().waitFor();
  await checkAccessibility(adviser);
  await panel.getByText(/Ade from the council has joined/).waitFor();
  await panel.getByText('You are talking to an adviser.').waitFor();

  const reply = adviser.getByLabel('Your reply');
  const send = adviser.getByRole('button', { name: 'Send', exact: true });
  await reply.fill('Hello Sam, which street are you on?');
  await send.click();
  await panel.getByText('Hello Sam, which street are you on?').waitFor();
  const mine = 'Mill Lane, number 4';
  await panel.getByLabel('Your message').fill(mine);
  await panel.getByLabel('Your message').press('Enter');
  await adviser.getByText(mine).waitFor();
  await screenshot(resident, 'chat-resident');
  await screenshot(adviser, 'chat-adviser');

  // The connection is cut: the resident goes offline and the server drops every chat socket.
  await resident.context().setOffline(true);
  for (const client of server.app.websocketServer.clients) client.terminate();
  const missed = ['A crew will come back tomorrow.', 'They will empty it by 10am.'];
  for (const text of missed) {
    await reply.fill(text);
    await send.click();
    await adviser.locator('[data-chat-log]').getByText(text).waitFor();
  }
  await resident.context().setOffline(false);
  await panel.getByText(missed[1] ?? '').waitFor({ timeout: 20_000 });
  const everything = [TOPIC, 'Hello Sam, which street are you on?', mine, ...missed];
  assert.deepEqual(await countsIn(resident, everything), [1, 1, 1, 1, 1], 'each message once');

  // Another page: the chat carries on, the whole conversation shown once.
  await resident.goto(`${base}/services`);
  await panel.getByText(missed[1] ?? '').waitFor();
  assert.deepEqual(await countsIn(resident, everything), [1, 1, 1, 1, 1]);
  await checkAccessibility(resident);

  // The adviser ends it; the resident rates it and asks for a copy.
  await adviser.getByLabel('Question answered').check();
  await adviser.getByRole('button', { name: 'End chat' }).click();
  await panel.getByText('The conversation has ended.').first().waitFor();
  await checkAccessibility(resident);
  await panel.getByLabel('Very good').check();
  await panel.getByRole('button', { name: 'Send rating' }).click();
  await panel.getByText('Thank you for your feedback.').waitFor();
  await panel.getByLabel('Email me a copy').fill('sam.chat@example.org');
  await panel.getByRole('button', { name: 'Send copy' }).click();
  await panel.getByText('We have sent a copy to sam.chat@example.org.').waitFor();
  const copy = await waitForMail(
    smtp,
    'sam.chat@example.org',
    (m) => m.subject.startsWith('Your conversation with us'),
    'the copy of the chat',
  );
  assert.match(copy.text, /You: Mill Lane, number 4/);

  // My Account: the chat is a case, with the whole conversation.
  await resident.goto(`${base}/account`);
  const ref = /CHT-[0-9A-Z]{4}-[0-9A-Z]{4}/.exec(await resident.locator('main').innerText())?.[0];
  assert.ok(ref, 'the chat is listed in My Account');
  await resident.goto(`${base}/account/cases/${ref}`);
  const conversation = await resident.locator('.app-chat__log--transcript').innerText();
  for (const text of everything)
    assert.equal(conversation.split(text).length - 1, 1, `${text} once in My Account`);
  await checkAccessibility(resident);
  browser.assertNoConsoleErrors(resident);
  browser.assertNoConsoleErrors(adviser);
});

await test('without JavaScript, "Chat with us" is a contact form', async (t) => {
  const server = await startServer(t);
  const browser = await launchBrowser(t, { javaScript: false });
  const page = await browser.newPage();
  browser.allowConsoleError(page, /status of 400/);
  await page.goto(`${server.baseUrl}/`);
  await page.getByRole('link', { name: 'Chat with us' }).click();
  await page.waitForURL(/\/chat$/);
  await checkAccessibility(page);
  await page.getByRole('button', { name: 'Send message' }).click();
  await page.locator('.govuk-error-summary').waitFor();
  await checkAccessibility(page);
  await page.getByLabel('Your name').fill('Pat Doe');
  await page.getByLabel('Email address').fill('pat@example.org');
  await page.getByLabel('Your message').fill('Can I have a new recycling box?');
  await page.getByRole('button', { name: 'Send message' }).click();
  await page.getByRole('heading', { name: 'Message sent' }).waitFor();
  assert.match(await page.locator('main').innerText(), /CHT-[0-9A-Z]{4}-[0-9A-Z]{4}/);
  await checkAccessibility(page);
});

await test('the chat embedded on another council website', async (t) => {
  // The libraries' website, on its own server and origin. (Browsers keep a public site from
  // calling a server on this machine, so it is on this machine too.)
  let libraryPage = '';
  const site = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(libraryPage);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  // Closed before the browser is: its open connections are cut, or close() could wait on them.
  t.after(
    () =>
      new Promise<void>((resolve) => {
        site.closeAllConnections();
        site.close(() => {
          resolve();
        });
      }),
  );
  const siteOrigin = `http://localhost:${String((site.address() as AddressInfo).port)}`;

  // Listed under chat.origins in the council's settings.
  const councilFile = councilFileWith(t, (council) => {
    council.chat.origins.push(siteOrigin);
  });
  const server = await startServer(
    t,
    { COUNCIL_CONFIG: councilFile },
    { chatHoursClock: IN_HOURS },
  );
  libraryPage = `<!doctype html><html lang="en"><head><title>Westmoor Libraries</title></head>
    <body><main><h1>Westmoor Libraries</h1></main>
    <script src="${server.baseUrl}/chat/embed.js" defer></script></body></html>`;

  const browser = await launchBrowser(t);
  const page = await browser.newPage();
  await page.goto(`${siteOrigin}/`);
  await page.getByRole('button', { name: 'Chat with us' }).click();
  const panel = page.getByRole('dialog', { name: 'Chat with us' });
  await panel
    .getByLabel('What do you need help with?')
    .fill('Someone has fly-tipped rubbish in our lane');
  await panel.getByRole('button', { name: 'Send' }).click();
  await panel.getByText(/You can report fly-tipping online now/).waitFor();
  const link = panel.getByRole('link', { name: 'Report fly-tipping' });
  assert.equal(new URL((await link.getAttribute('href')) ?? '').origin, server.baseUrl);
  await checkAccessibility(page);
  browser.assertNoConsoleErrors(page);
});
