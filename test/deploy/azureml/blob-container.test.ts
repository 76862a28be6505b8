import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ContainerClient, ContainerSASPermissions, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobContainer } from '../../../src/deploy/azureml/index.js';
import { MlflowError } from '../../../src/errors.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, Azurite } from '../../store/azurite.js';

const azurite = new Azurite();
const CONTAINER = 'models';
let tmp = '';
let reader: ContainerClient;

beforeAll(async () => {
  const url = await azurite.start();
  reader = new ContainerClient(`${url}/${CONTAINER}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
  await reader.create();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-blob-'));
}, 60_000);
afterAll(async () => {
  await azurite.stop();
  await rm(tmp, { recursive: true, force: true });
});

const container = (auth: ConstructorParameters<typeof BlobContainer>[3]): BlobContainer => new BlobContainer(AZURITE_ACCOUNT, CONTAINER, azurite.serviceUrl, auth);

describe('Azure Blob container, against Azurite', () => {
  it('uploads a small file in one Put Blob, signed with the account key', async () => {
    const file = path.join(tmp, 'small.bin');
    await writeFile(file, 'MLmodel bytes');
    await container({ kind: 'key', key: AZURITE_KEY }).upload('a dir/MLmodel', file);
    const blob = reader.getBlockBlobClient('a dir/MLmodel');
    expect((await blob.downloadToBuffer()).toString()).toBe('MLmodel bytes');
    expect((await blob.getProperties()).contentType).toBe('application/octet-stream');
    // one Put Blob leaves no blocks behind
    expect((await blob.getBlockList('committed')).committedBlocks ?? []).toEqual([]);
  });

  it('uploads a large file block by block, then commits the block list', async () => {
    const file = path.join(tmp, 'large.bin');
    const data = Buffer.from(Array.from({ length: 2500 }, (_, i) => i % 251));
    await writeFile(file, data);
    await container({ kind: 'key', key: AZURITE_KEY }).upload('m/weights.bin', file, 1000);
    const blob = reader.getBlockBlobClient('m/weights.bin');
    expect(await blob.downloadToBuffer()).toEqual(data);
    expect((await blob.getBlockList('committed')).committedBlocks?.map((b) => b.size)).toEqual([1000, 1000, 500]);
  });

  it('uploads with a SAS token, and deletes', async () => {
    const sas = generateBlobSASQueryParameters(
      { containerName: CONTAINER, permissions: ContainerSASPermissions.parse('rcwd'), expiresOn: new Date(Date.now() + 3_600_000) },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    ).toString();
    const file = path.join(tmp, 'sas.bin');
    await writeFile(file, 'via SAS');
    const c = container({ kind: 'sas', token: `?${sas}` });
    await c.upload('sas/MLmodel', file);
    expect((await reader.getBlockBlobClient('sas/MLmodel').downloadToBuffer()).toString()).toBe('via SAS');
    await c.delete('sas/MLmodel');
    expect(await reader.getBlockBlobClient('sas/MLmodel').exists()).toBe(false);
  });

  it('reports a refused request with the blob URL and the service error code', async () => {
    const file = path.join(tmp, 'x.bin');
    await writeFile(file, 'x');
    const wrongKey = Buffer.from('wrong').toString('base64');
    const err = (await container({ kind: 'key', key: wrongKey }).upload('x.bin', file).catch((e: unknown) => e)) as MlflowError;
    expect(err).toBeInstanceOf(MlflowError);
    expect(err.errorCode).toBe('PERMISSION_DENIED');
    expect(err.message).toBe(`Azure Storage PUT ${azurite.serviceUrl}/${CONTAINER}/x.bin failed (403): AuthorizationFailure`);
    const missing = (await container({ kind: 'key', key: AZURITE_KEY }).delete('no/such/blob').catch((e: unknown) => e)) as MlflowError;
    expect(missing.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toBe(`Azure Storage DELETE ${azurite.serviceUrl}/${CONTAINER}/no/such/blob failed (404): BlobNotFound`);
  });
});
