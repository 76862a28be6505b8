import type * as S3 from '@aws-sdk/client-s3';
import type * as SageMaker from '@aws-sdk/client-sagemaker';
import { MlflowError } from '../../errors.js';
import { roleAccount } from './deploy-options.js';
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
  /** The assumed role's temporary credentials, when the deployment assumes one. */
  credentials?: AwsCredentials;
}

/** Temporary credentials as STS AssumeRole gives them, in the SDK's shape. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface StsAssumeSdk {
  STSClient: new (config: { region: string }) => { send(command: unknown): Promise<{ Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } }> };
  AssumeRoleCommand: new (input: { RoleArn: string; RoleSessionName: string }) => unknown;
}

/**
 * MLflow's _assume_role_and_get_credentials: with a cross-account role (the ARN after the region
 * in `sagemaker:/<region>/<role ARN>`, or config assume_role_arn), every SageMaker, S3, STS and
 * IAM call of the deployment runs as that role (session name mlflow-sagemaker); without one, the
 * standard credential chain's own identity. The execution role given to CreateModel is separate.
 */
export async function assumeRole(roleArn: string | undefined, region: string, say: (m: string) => void = () => undefined): Promise<AwsCredentials | undefined> {
  if (!roleArn) return undefined;
  // Checked here, before any AWS call, whichever command asked for the role.
  roleAccount(roleArn, 'assumed role');
  const { STSClient, AssumeRoleCommand } = await importSdk<StsAssumeSdk>('@aws-sdk/client-sts');
  const r = await new STSClient({ region }).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'mlflow-sagemaker' })).catch((e: unknown) => {
    throw awsCallFailed(`STS AssumeRole ${roleArn}`, e);
  });
  const c = r.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new MlflowError(`STS AssumeRole ${roleArn} returned no credentials`, 'INTERNAL_ERROR');
  say(`Assuming role ${roleArn} for deployment!`);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

/**
 * SageMaker and S3 clients with the SDK's standard credential chain (env, shared config, SSO,
 * instance roles). The SDK is loaded only here, so serving never needs it installed.
 */
export async function awsClients(region: string, assumeRoleArn?: string, say?: (m: string) => void): Promise<AwsClients> {
  const SM = await importSdk<SageMakerSdk>('@aws-sdk/client-sagemaker');
  const S3m = await importSdk<S3Sdk>('@aws-sdk/client-s3');
  const credentials = await assumeRole(assumeRoleArn, region, say);
  return { sm: new SM.SageMakerClient({ region, credentials }), s3: new S3m.S3Client({ region, credentials }), SM, S3: S3m, credentials };
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
