import { Rollback } from '../rollback.js';
import { awsClients, type AwsClients } from './aws-clients.js';
import { checkResourceName, resolveRegion, type ModelOptions } from './deploy-options.js';
import { createSageMakerModel, prepareModel } from './sagemaker-model.js';

/** `sagemaker push-model`: model.tar.gz to S3 and a SageMaker model named `modelName`, nothing else. */
export async function pushModelToSageMaker(modelName: string, options: ModelOptions, clients?: AwsClients): Promise<string> {
  const o = { ...options, region: resolveRegion(options.region) };
  checkResourceName(modelName, 'model name');
  const aws = clients ?? (await awsClients(o.region, o.assumeRoleArn));
  const prepared = await prepareModel(o, aws);
  const rollback = new Rollback();
  try {
    return await createSageMakerModel(aws, o, prepared, modelName, rollback);
  } catch (e) {
    throw await rollback.run(e);
  }
}
