import type * as Ecr from '@aws-sdk/client-ecr';
import { MlflowError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { awsCallFailed, awsErrorName, importSdk, type AwsCredentials } from './aws-clients.js';
import { DEFAULT_IMAGE_NAME } from './deploy-options.js';

/** MLflow's variable naming the serving image when -i/--image-url is not given. */
export const IMAGE_URL_ENV = 'MLFLOW_SAGEMAKER_DEPLOY_IMG_URL';
/** The tag `build-and-push-container` gives an image named without one (MLflow: its own version). */
export const DEFAULT_IMAGE_TAG = VERSION;

/** Who the AWS credentials belong to: STS GetCallerIdentity and IAM GetRole, as MLflow asks them. */
export interface AwsIdentity {
  /** GetCallerIdentity's Arn, e.g. arn:aws:sts::123456789012:assumed-role/ml-role/session */
  callerArn(): Promise<string>;
  /** GetRole(roleName).Role.Arn, with the role's path */
  roleArn(roleName: string): Promise<string>;
}

interface SdkClient<O> {
  send(command: unknown): Promise<O>;
}
interface StsSdk {
  STSClient: new (config: { region: string; credentials?: AwsCredentials }) => SdkClient<{ Arn?: string }>;
  GetCallerIdentityCommand: new (input: object) => unknown;
}
interface IamSdk {
  IAMClient: new (config: { region: string; credentials?: AwsCredentials }) => SdkClient<{ Role?: { Arn?: string } }>;
  GetRoleCommand: new (input: { RoleName: string }) => unknown;
}

/**
 * AwsIdentity through the AWS SDK's STS and IAM clients (standard credential chain, or an assumed
 * role's credentials). They are needed only when no execution role is given, so they load then,
 * naming the npm install.
 */
export function sdkIdentity(region: string, credentials?: AwsCredentials): AwsIdentity {
  return {
    async callerArn() {
      const { STSClient, GetCallerIdentityCommand } = await importSdk<StsSdk>('@aws-sdk/client-sts');
      const r = await new STSClient({ region, credentials }).send(new GetCallerIdentityCommand({})).catch((e: unknown) => {
        throw awsCallFailed('STS GetCallerIdentity', e);
      });
      if (!r.Arn) throw new MlflowError('STS GetCallerIdentity returned no Arn', 'INTERNAL_ERROR');
      return r.Arn;
    },
    async roleArn(roleName) {
      const { IAMClient, GetRoleCommand } = await importSdk<IamSdk>('@aws-sdk/client-iam');
      const r = await new IAMClient({ region, credentials }).send(new GetRoleCommand({ RoleName: roleName })).catch((e: unknown) => {
        throw awsCallFailed(`IAM GetRole ${roleName}`, e);
      });
      if (!r.Role?.Arn) throw new MlflowError(`IAM GetRole ${roleName} returned no role ARN`, 'INTERNAL_ERROR');
      return r.Role.Arn;
    },
  };
}

/**
 * MLflow's _get_assumed_role_arn: the role name is the second '/'-part of the caller's ARN
 * (arn:aws:sts::<account>:assumed-role/<role>/<session>), and IAM gives that role's full ARN.
 */
export async function assumedRoleArn(identity: AwsIdentity): Promise<string> {
  const caller = await identity.callerArn();
  const roleName = caller.split('/')[1];
  if (!caller.includes(':assumed-role/') || !roleName) {
    throw new MlflowError(
      `No execution role given and the AWS caller '${caller}' is not an assumed role whose role could be used: pass --execution-role-arn (or execution_role_arn)`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return identity.roleArn(roleName);
}

/**
 * MLflow's _get_default_image_url: MLFLOW_SAGEMAKER_DEPLOY_IMG_URL, else the `mlflow-pyfunc` ECR
 * repository of the account in `region`, tagged as build-and-push-container tags it.
 */
export async function defaultImageUrl(region: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env[IMAGE_URL_ENV];
  if (fromEnv) return fromEnv;
  const E = await importSdk<typeof Ecr>('@aws-sdk/client-ecr');
  const r = await new E.ECRClient({ region }).send(new E.DescribeRepositoriesCommand({ repositoryNames: [DEFAULT_IMAGE_NAME] })).catch((e: unknown) => {
    if (awsErrorName(e) === 'RepositoryNotFoundException') {
      throw new MlflowError(
        `No image URL given and there is no ECR repository '${DEFAULT_IMAGE_NAME}' in ${region}: run \`mlflow-ts sagemaker build-and-push-container\`, pass --image-url or set ${IMAGE_URL_ENV}`,
        'RESOURCE_DOES_NOT_EXIST',
      );
    }
    throw awsCallFailed(`ECR DescribeRepositories ${DEFAULT_IMAGE_NAME}`, e);
  });
  const uri = r.repositories?.[0]?.repositoryUri;
  if (!uri) throw new MlflowError(`ECR DescribeRepositories ${DEFAULT_IMAGE_NAME} returned no repository URI`, 'INTERNAL_ERROR');
  return `${uri}:${DEFAULT_IMAGE_TAG}`;
}
