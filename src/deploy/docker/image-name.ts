import { MlflowError } from '../../errors.js';

// Docker's reference grammar (distribution/reference): [host[:port]/]path[:tag][@digest].
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
const REFERENCE = new RegExp(`^(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`);

/** Refuses an image name docker would refuse, before anything is built or created. */
export function checkImageName(name: string, field = 'image name'): string {
  if (name.length === 0 || name.length > 255 || !REFERENCE.test(name)) {
    throw new MlflowError(
      `Invalid ${field} '${name}': expected [registry/]repository[:tag] in lower case, e.g. 'mlflow-pyfunc' or '123456789012.dkr.ecr.us-east-1.amazonaws.com/model:1'`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  return name;
}
