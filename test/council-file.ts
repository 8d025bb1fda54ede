/**
 * The demo council's settings with a test's changes, for COUNCIL_CONFIG: written to a folder
 * removed when the test ends. Paths in the file are relative to it, so the copy's logo and
 * gazetteer are made absolute: they are still the demo council's.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { parse, stringify } from 'yaml';

const DEMO_COUNCIL = path.resolve('config/council.yaml');

/** council.yaml as parsed: the parts tests change are named, the rest passes through. */
export interface CouncilFile {
  brandColour: string;
  logo?: string | null;
  reporting: { gazetteer?: string } & Record<string, unknown>;
  chat: { origins: string[] } & Record<string, unknown>;
  open311: Record<string, unknown>;
  [setting: string]: unknown;
}

export function councilFileWith(t: TestContext, change: (council: CouncilFile) => void): string {
  const council = parse(readFileSync(DEMO_COUNCIL, 'utf8')) as CouncilFile;
  const fromDemo = (file: string) => path.resolve(path.dirname(DEMO_COUNCIL), file);
  if (council.logo) council.logo = fromDemo(council.logo);
  if (council.reporting.gazetteer)
    council.reporting.gazetteer = fromDemo(council.reporting.gazetteer);
  change(council);
  const dir = mkdtempSync(path.join(tmpdir(), 'shire-council-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, 'council.yaml');
  writeFileSync(file, stringify(council));
  return file;
}
