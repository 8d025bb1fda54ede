/** Filling in the app's one-page report form (`/app/report`), shared by the app's browser tests. */
import type { Page } from 'playwright-core';

/** Chooses the pothole category, if it is not chosen already, and answers its questions. */
export async function answerPothole(page: Page): Promise<void> {
  await page.locator('input[name="service_code"][value="report-a-pothole"]').check();
  for (const [question, answer] of Object.entries({
    position: 'road',
    depth: 'deep',
    width: 'medium',
    dangerous: 'no',
  }))
    await page.locator(`input[name="${question}"][value="${answer}"]`).check();
}
