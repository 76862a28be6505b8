// Importing this module registers the `azureml` deployment target.
export { azureMlTarget, azureMlClient, workspaceOf } from './target.js';
export { deployAzureMl, deleteAzureMl, describeAzureMl, DEFAULT_TIMEOUT_SECONDS, type AzureMlDeployOptions, type AzureMlDeployment } from './deploy.js';
export { exportAzureMl, type ExportOptions } from './export.js';
export { ArmClient, API_VERSION, MANAGEMENT_URL, type Workspace } from './arm-client.js';
export { defaultTokenProvider, MANAGEMENT_SCOPE, type TokenProvider } from './credentials.js';
export { checkAzureName, checkModelName, DEFAULT_DEPLOYMENT_NAME, DEFAULT_INSTANCE_TYPE, type OnlineDeploymentSpec } from './deploy-options.js';
export { BLOCK_SIZE, BlobContainer, type BlobAuth } from './blob-container.js';
export { registerModel, STORAGE_SCOPE, type RegisterModelOptions } from './register-model.js';
