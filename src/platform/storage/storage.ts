import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';

/**
 * Where uploaded files (report photos, documents) live. Keys are ours, never a resident's
 * file name, so nothing they send can choose a path.
 */
export interface FileStorage {
  put(key: string, content: Buffer): Promise<void>;
  /** The file's bytes as a stream, or undefined if there is no such file. */
  get(key: string): Promise<Readable | undefined>;
  delete(key: string): Promise<void>;
}

const KEY = /^[a-z0-9][a-z0-9/_-]*(\.[a-z0-9]+)?$/;

export function assertValidKey(key: string): void {
  if (!KEY.test(key) || key.includes('//') || key.includes('..'))
    throw new Error(
      `Storage key "${key}" must be lower-case letters, digits, /, _ and - with an optional extension`,
    );
}

/** Files on local disk under data/files: the default for one machine. */
export class LocalFileStorage implements FileStorage {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.root, key);
  }

  async put(key: string, content: Buffer): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    // Write then rename, so a reader never sees half a file.
    const temporary = `${target}.${randomUUID()}.partial`;
    await writeFile(temporary, content);
    await rename(temporary, target);
  }

  async get(key: string): Promise<Readable | undefined> {
    const file = this.pathOf(key);
    try {
      await stat(file);
    } catch {
      return undefined;
    }
    return createReadStream(file);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}
