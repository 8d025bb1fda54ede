import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { fakeNotify } from '../../../test/fake-notify.js';
import { createNotifySender } from './govuk-notify.js';
import { PermanentFailure } from './senders.js';

async function setUp(t: TestContext, options: { apiKey?: string; timeoutMs?: number } = {}) {
  const notify = await fakeNotify(t);
  const sender = createNotifySender({
    apiKey: notify.apiKey,
    baseUrl: notify.url,
    emailTemplateId: notify.emailTemplateId,
    smsTemplateId: notify.smsTemplateId,
    ...options,
  });
  return { notify, sender };
}

const sms = { to: '07700 900123', text: 'Your report 812 is fixed.', reference: 'delivery-44' };

/** Rejects with a retryable error (not a PermanentFailure) whose message matches. */
async function rejectsForRetry(promise: Promise<unknown>, message: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.ok(!(err instanceof PermanentFailure), `expected a retryable error, got ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

await test('GOV.UK Notify sender', async (t) => {
  await t.test('sends an email through the subject-and-body template', async (t) => {
    const { notify, sender } = await setUp(t);
    const { id } = await sender.sendEmail({
      to: 'resident@example.com',
      subject: 'Your report has been updated',
      text: 'We have fixed the pothole.',
      html: '<p>We have fixed the pothole.</p>',
      messageId: '<delivery-812@westmoor.example.gov.uk>',
      unsubscribeUrl: 'https://westmoor.example.gov.uk/unsubscribe/abc',
    });
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(notify.received, [
      {
        type: 'email',
        to: 'resident@example.com',
        templateId: notify.emailTemplateId,
        personalisation: {
          subject: 'Your report has been updated',
          body: 'We have fixed the pothole.',
        },
        reference: '<delivery-812@westmoor.example.gov.uk>',
        unsubscribeUrl: 'https://westmoor.example.gov.uk/unsubscribe/abc',
      },
    ]);
  });

  await t.test('leaves out the reference and unsubscribe link when there are none', async (t) => {
    const { notify, sender } = await setUp(t);
    await sender.sendEmail({ to: 'resident@example.com', subject: 'Hello', text: 'Body' });
    assert.equal(notify.received[0]?.reference, undefined);
    assert.equal(notify.received[0]?.unsubscribeUrl, undefined);
  });

  await t.test('sends a text message with our reference', async (t) => {
    const { notify, sender } = await setUp(t);
    const { id } = await sender.sendSms(sms);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(notify.received, [
      {
        type: 'sms',
        to: '07700 900123',
        templateId: notify.smsTemplateId,
        personalisation: { body: 'Your report 812 is fixed.' },
        reference: 'delivery-44',
      },
    ]);
  });

  await t.test('a number that is not a UK mobile fails for good', async (t) => {
    const { notify, sender } = await setUp(t);
    await assert.rejects(
      sender.sendSms({ ...sms, to: '01632 960001' }),
      new PermanentFailure('invalid_recipient', 'phone_number Not a UK mobile number'),
    );
    assert.equal(notify.received.length, 0);
  });

  await t.test('a malformed email address fails for good', async (t) => {
    const { sender } = await setUp(t);
    await assert.rejects(
      sender.sendEmail({ to: 'not-an-address', subject: 'Hello', text: 'Body' }),
      new PermanentFailure('invalid_recipient', 'email_address Not a valid email address'),
    );
  });

  await t.test('a recipient outside the team of a team-only key fails for good', async (t) => {
    const { notify, sender } = await setUp(t);
    notify.state.team = ['officer@westmoor.example.gov.uk'];
    await assert.rejects(
      sender.sendEmail({ to: 'resident@example.com', subject: 'Hello', text: 'Body' }),
      new PermanentFailure(
        'invalid_recipient',
        'Can’t send to this recipient using a team-only API key',
      ),
    );
  });

  await t.test('a wrong API key is retried, and the key is not in the message', async (t) => {
    const notify = await fakeNotify(t);
    const wrongKey = notify.apiKey.slice(0, -36) + '00000000-0000-4000-8000-000000000000';
    const { sender } = await setUp(t, { apiKey: wrongKey });
    await assert.rejects(sender.sendSms(sms), (err: unknown) => {
      assert.ok(err instanceof Error && !(err instanceof PermanentFailure));
      assert.match(err.message, /403: Invalid token: signature, api token not found/);
      assert.ok(!err.message.includes('00000000-0000-4000-8000-000000000000'));
      assert.equal(err.cause, undefined);
      return true;
    });
  });

  await t.test('a wrong template id is retried: it is a setting to fix', async (t) => {
    const notify = await fakeNotify(t);
    const sender = createNotifySender({
      apiKey: notify.apiKey,
      baseUrl: notify.url,
      emailTemplateId: notify.smsTemplateId,
      smsTemplateId: notify.smsTemplateId,
    });
    await rejectsForRetry(
      sender.sendEmail({ to: 'resident@example.com', subject: 'Hello', text: 'Body' }),
      /400: sms template is not suitable for email notification/,
    );
  });

  await t.test('a server error is retried', async (t) => {
    const { notify, sender } = await setUp(t);
    notify.state.failNext = 500;
    await rejectsForRetry(sender.sendSms(sms), /500: Internal server error/);
    await sender.sendSms(sms);
    assert.equal(notify.received.length, 1);
  });

  await t.test('a rate limit is retried', async (t) => {
    const { notify, sender } = await setUp(t);
    notify.state.rateLimit = true;
    await rejectsForRetry(sender.sendSms(sms), /429: Exceeded rate limit/);
  });

  await t.test('Notify not answering in time is retried', async (t) => {
    const { notify, sender } = await setUp(t, { timeoutMs: 200 });
    notify.state.hang = true;
    await rejectsForRetry(sender.sendSms(sms), /did not answer within 200 ms/);
  });

  await t.test('Notify out of reach is retried', async (t) => {
    const notify = await fakeNotify(t);
    const sender = createNotifySender({
      apiKey: notify.apiKey,
      baseUrl: 'http://127.0.0.1:1',
      emailTemplateId: notify.emailTemplateId,
      smsTemplateId: notify.smsTemplateId,
    });
    await rejectsForRetry(sender.sendSms(sms), /could not be reached: ECONNREFUSED/);
  });
});
