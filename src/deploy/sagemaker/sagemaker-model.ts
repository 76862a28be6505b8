import { randomBytes } from 'node:crypto';
// Registers store/'s model URI schemes (runs:, models:, http(s):...) for resolveModelDir.
import '../../store/uri-schemes.js';
import { MlflowError } from '../../errors.js';
import { Model } from '../../model/model.js';
import { resolveModelDir } from '../../model/uri-resolver.js';
import type { Rollback } from '../rollback.js';
import { awsCallFailed, awsErrorName, type AwsClients } from './aws-clients.js';
import { checkImageName } from '../docker/image-name.js';
import { checkModelOptions, roleAccount, tagValue, type ModelOptions } from './deploy-options.js';
import { assumedRoleArn, defaultImageUrl, sdkIdentity } from './default-resources.js';
import { makeModelArchive } from './model-archive.js';

/** A short random suffix, as MLflow's unique resource ids, so names never collide with old ones. */
export function uniqueSuffix(): string {
  return randomBytes(6).toString('hex');
}

export interface PreparedModel {
  modelDir: string;
  bucket: string;
  executionRoleArn: string;
  imageUrl: string;
  /** The serving container's environment: the deployment flavor, as MLflow's, then the caller's. */
  environment?: Record<string, string>;
}

/**
 * MLflow's SUPPORTED_DEPLOYMENT_FLAVORS that mlflow-ts's image serves. The image's server reads the
 * chosen one from MLFLOW_DEPLOYMENT_FLAVOR_NAME (serve/deployment-flavor.ts), as MLflow's container.
 */
const DEPLOYMENT_FLAVORS = ['python_function'];

/**
 * MLflow's deployment flavor rules (-f/--flavor): a given flavor must be supported and in the
 * model; none given means python_function when the model has it. A model without it (one mlflow-ts
 * scores with another flavor) names none, and the image serves it with its own flavor.
 */
async function deploymentFlavor(modelDir: string, flavor: string | undefined): Promise<string | undefined> {
  const flavors = Object.keys((await Model.load(modelDir)).flavors);
  if (flavor === undefined) return flavors.includes('python_function') ? 'python_function' : undefined;
  if (flavor === 'mleap') {
    throw new MlflowError("The flavor 'mleap' is not supported by mlflow-ts's serving image (it has no MLeap runtime); deploy the python_function flavor", 'NOT_IMPLEMENTED');
  }
  if (!DEPLOYMENT_FLAVORS.includes(flavor)) {
    throw new MlflowError(`The specified flavor: \`${flavor}\` is not supported for deployment. Please use one of the supported flavors: ${JSON.stringify(DEPLOYMENT_FLAVORS)}`, 'INVALID_PARAMETER_VALUE');
  }
  if (!flavors.includes(flavor)) {
    throw new MlflowError(
      `The specified model does not contain the specified deployment flavor: \`${flavor}\`. Please use one of the following deployment flavors that the model contains: ${JSON.stringify(flavors)}`,
      'RESOURCE_DOES_NOT_EXIST',
    );
  }
  return flavor;
}

/**
 * Checks the options and the model before anything is created, then fills in what was not given
 * as MLflow does: the assumed role's ARN, the default image URL and the bucket
 * mlflow-sagemaker-<region>-<account>. Lookups are read-only calls (STS, IAM, ECR).
 */
export async function prepareModel(o: ModelOptions, aws: Pick<AwsClients, 'identity' | 'credentials'>): Promise<PreparedModel> {
  checkModelOptions(o);
  const modelDir = await resolveModelDir(o.modelUri);
  const executionRoleArn = o.executionRoleArn || (await assumedRoleArn(aws.identity ?? sdkIdentity(o.region, aws.credentials)));
  const account = roleAccount(executionRoleArn);
  const flavor = await deploymentFlavor(modelDir, o.flavor);
  const imageUrl = o.imageUrl ?? checkImageName(await defaultImageUrl(o.region), 'image URL');
  const environment = flavor === undefined ? o.env : { MLFLOW_DEPLOYMENT_FLAVOR_NAME: flavor, SERVING_ENVIRONMENT: 'SageMaker', ...o.env };
  return { modelDir, bucket: o.bucket ?? `mlflow-sagemaker-${o.region}-${account}`, executionRoleArn, imageUrl, environment };
}

/**
 * Uploads model.tar.gz to S3 (creating the bucket if missing, as MLflow does) and creates a
 * SageMaker model serving it with the image; each creation is added to `rollback`.
 */
export async function createSageMakerModel(
  aws: AwsClients,
  o: ModelOptions,
  prepared: PreparedModel,
  modelName: string,
  rollback: Rollback,
): Promise<string> {
  const { sm, s3, SM, S3 } = aws;
  const { bucket } = prepared;
  try {
    await s3.send(new S3.HeadBucketCommand({ Bucket: bucket }));
  } catch (e) {
    const name = awsErrorName(e);
    if (name !== 'NotFound' && name !== 'NoSuchBucket') throw awsCallFailed(`HeadBucket ${bucket}`, e);
    await s3
      .send(new S3.CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 is the one region that refuses an explicit location constraint.
        CreateBucketConfiguration: o.region === 'us-east-1' ? undefined : { LocationConstraint: o.region as never },
      }))
      .catch((err: unknown) => {
        throw awsCallFailed(`CreateBucket ${bucket}`, err);
      });
  }
  const key = `${modelName}/model.tar.gz`;
  const body = await makeModelArchive(prepared.modelDir);
  await s3.send(new S3.PutObjectCommand({ Bucket: bucket, Key: key, Body: body })).catch((e: unknown) => {
    throw awsCallFailed(`PutObject s3://${bucket}/${key}`, e);
  });
  rollback.add(`s3://${bucket}/${key}`, () => s3.send(new S3.DeleteObjectCommand({ Bucket: bucket, Key: key })));
  await sm
    .send(new SM.CreateModelCommand({
      ModelName: modelName,
      ExecutionRoleArn: prepared.executionRoleArn,
      PrimaryContainer: { Image: prepared.imageUrl, ModelDataUrl: `s3://${bucket}/${key}`, Environment: prepared.environment },
      VpcConfig: o.vpcConfig,
      // MLflow tags every model it creates with the URI it came from, after the caller's tags.
      Tags: Object.entries({ ...o.tags, model_uri: o.modelUri }).map(([Key, Value]) => ({ Key, Value: tagValue(Key, Value) })),
    }))
    .catch((e: unknown) => {
      throw awsCallFailed(`CreateModel ${modelName}`, e);
    });
  rollback.add(`model ${modelName}`, () => sm.send(new SM.DeleteModelCommand({ ModelName: modelName })));
  return modelName;
}
