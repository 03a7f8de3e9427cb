import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config.js';

export interface StoredObject {
  key: string;
  size: number;
}

/** Where analytics files live: a folder, or an S3 bucket. Keys use `/` and never start with one. */
export interface ObjectStore {
  put(key: string, body: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  list(prefix: string): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
  /** The file behind a key when the store is a local folder (DuckDB reads it in place); else undefined. */
  localPath?(key: string): string;
  describe(): string;
  /** Lets go of connections (an S3 client's sockets), so a CLI run can end. */
  close?(): Promise<void>;
}

/** A folder. Writes go to a hidden temp name and are renamed, so a reader never sees half a file. */
export class LocalStore implements ObjectStore {
  constructor(readonly root: string) {}

  localPath(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, body: Buffer): Promise<void> {
    const target = this.localPath(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await writeFile(temp, body);
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  get(key: string): Promise<Buffer> {
    return readFile(this.localPath(key));
  }

  async list(prefix: string): Promise<StoredObject[]> {
    // Walk only the folder the prefix names, not the whole tree.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const dir = this.localPath(base);
    let names: string[];
    try {
      names = (await readdir(dir, { recursive: true })) as string[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: StoredObject[] = [];
    for (const name of names) {
      const key = base + name.split(path.sep).join('/');
      if (!key.startsWith(prefix) || key.split('/').some((part) => part.startsWith('.'))) continue;
      const info = await stat(path.join(dir, name)).catch(() => null);
      if (info?.isFile()) out.push({ key, size: info.size });
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.localPath(key), { force: true });
  }

  describe(): string {
    return this.root;
  }
}

export interface S3Settings {
  bucket: string;
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

/**
 * An S3 bucket (or anything speaking its API: MinIO, R2, …); credentials come from the SDK's default chain.
 * The SDK is loaded on first use, so servers writing to a local folder never load it.
 */
export class S3Store implements ObjectStore {
  private client: Promise<{ client: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> | null = null;

  constructor(private readonly settings: S3Settings) {}

  private sdk() {
    this.client ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.settings.region,
        forcePathStyle: this.settings.forcePathStyle,
        ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}),
      }),
    }));
    return this.client;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const { client, sdk } = await this.sdk();
    await client.send(new sdk.PutObjectCommand({ Bucket: this.settings.bucket, Key: this.settings.prefix + key, Body: body }));
  }

  async get(key: string): Promise<Buffer> {
    const { client, sdk } = await this.sdk();
    const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key: this.settings.prefix + key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const { client, sdk } = await this.sdk();
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.settings.prefix + prefix, ContinuationToken: token }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key) out.push({ key: item.Key.slice(this.settings.prefix.length), size: item.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async delete(key: string): Promise<void> {
    const { client, sdk } = await this.sdk();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.settings.prefix + key }));
  }

  describe(): string {
    return `s3://${this.settings.bucket}/${this.settings.prefix}`;
  }

  async close(): Promise<void> {
    if (this.client) (await this.client).client.destroy();
    this.client = null;
  }
}

/** The analytics folder: ANALYTICS_DIR, or `analytics` in the data folder. */
export const analyticsDir = (config: Pick<Config, 'ANALYTICS_DIR' | 'DATA_DIR'>) =>
  path.resolve(config.ANALYTICS_DIR ?? path.join(config.DATA_DIR, 'analytics'));

export function createObjectStore(config: Config): ObjectStore {
  if (config.ANALYTICS_STORAGE === 's3') {
    return new S3Store({
      bucket: config.S3_BUCKET!,
      prefix: config.S3_PREFIX,
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
    });
  }
  return new LocalStore(analyticsDir(config));
}

/** `dt=YYYY-MM-DD/tenant=<id>/`: DuckDB reads both as columns (hive partitioning) and prunes files by them. */
export const partitionPrefix = (day: string, tenantId: string) => `dt=${day}/tenant=${tenantId}/`;

const partitionPattern = /^dt=(\d{4}-\d{2}-\d{2})\/tenant=([0-9a-f-]{36})\/([^/]+)$/;

/** The day, tenant and file name of a key, or null for a key outside the layout. */
export function parseKey(key: string): { day: string; tenantId: string; name: string } | null {
  const match = partitionPattern.exec(key);
  return match ? { day: match[1]!, tenantId: match[2]!, name: match[3]! } : null;
}
