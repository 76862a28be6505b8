import { randomBytes } from 'node:crypto';
// Registers store/'s model URI schemes (runs:, models:, http(s):...) for resolveModelDir.
import '../../store/index.js';
import { resolveModelDir } from '../../model/uri-resolver.js';
import type { Rollback } from '../rollback.js';
import { awsCallFailed, awsErrorName, type AwsClients } from './aws-clients.js';
import { checkModelOptions, type ModelOptions } from './deploy-options.js';
import { makeModelArchive } from './model-archive.js';

/** A short random suffix, as MLflow's unique resource ids, so names never collide with old ones. */
export function uniqueSuffix(): string {
  return randomBytes(6).toString('hex');
}

/** Checks the options and the model before anything is created; returns the local model dir and bucket. */
export async function prepareModel(o: ModelOptions): Promise<{ modelDir: string; bucket: string }> {
  const { bucket } = checkModelOptions(o);
  const modelDir = await resolveModelDir(o.modelUri);
  return { modelDir, bucket };
}

/**
 * Uploads model.tar.gz to S3 (creating the bucket if missing, as MLflow does) and creates a
 * SageMaker model serving it with the image; each creation is added to `rollback`.
 */
export async function createSageMakerModel(
  aws: AwsClients,
  o: ModelOptions,
  prepared: { modelDir: string; bucket: string },
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
      ExecutionRoleArn: o.executionRoleArn,
      PrimaryContainer: { Image: o.imageUrl, ModelDataUrl: `s3://${bucket}/${key}`, Environment: o.env },
      VpcConfig: o.vpcConfig,
    }))
    .catch((e: unknown) => {
      throw awsCallFailed(`CreateModel ${modelName}`, e);
    });
  rollback.add(`model ${modelName}`, () => sm.send(new SM.DeleteModelCommand({ ModelName: modelName })));
  return modelName;
}
