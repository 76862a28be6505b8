import type * as S3 from '@aws-sdk/client-s3';
import type * as SageMaker from '@aws-sdk/client-sagemaker';
import { MlflowError } from '../../errors.js';
import { importOptional } from '../../optional-packages.js';
import type { AwsIdentity } from './default-resources.js';

export type SageMakerSdk = typeof SageMaker;
export type S3Sdk = typeof S3;

export interface AwsClients {
  sm: SageMaker.SageMakerClient;
  s3: S3.S3Client;
  SM: SageMakerSdk;
  S3: S3Sdk;
  /** STS/IAM lookups for the default execution role; default the SDK's (tests give their own). */
  identity?: AwsIdentity;
}

/**
 * SageMaker and S3 clients with the SDK's standard credential chain (env, shared config, SSO,
 * instance roles). The SDK is loaded only here, so serving never needs it installed.
 */
export async function awsClients(region: string): Promise<AwsClients> {
  const SM = await importSdk<SageMakerSdk>('@aws-sdk/client-sagemaker');
  const S3m = await importSdk<S3Sdk>('@aws-sdk/client-s3');
  return { sm: new SM.SageMakerClient({ region }), s3: new S3m.S3Client({ region }), SM, S3: S3m };
}

export async function importSdk<T>(name: string): Promise<T> {
  return (await importOptional(() => import(name))) as T;
}

/** The name of an AWS SDK error (e.g. 'ValidationException'), or undefined. */
export function awsErrorName(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : undefined;
}

/** Wraps an SDK failure in an MlflowError naming the call, keeping AWS's message. */
export function awsCallFailed(call: string, e: unknown): MlflowError {
  if (e instanceof MlflowError) return e;
  const name = awsErrorName(e) ?? 'Error';
  const message = e instanceof Error ? e.message : String(e);
  return new MlflowError(`${call} failed: ${name}: ${message}`, name === 'ValidationException' ? 'INVALID_PARAMETER_VALUE' : 'INTERNAL_ERROR', { cause: e });
}
