export { appRoot, copyAppPackage, DEPLOY_ONLY_PACKAGES, FLAVOR_PACKAGES, MODEL_STORE_PACKAGES, packagesToOmit, productionPackageDirs } from './app-package.js';
export { generateBuildContext, needsPythonBridge, type BuildContext, type BuildContextOptions } from './build-context.js';
export { buildImage, formatBytes, imageSize, type BuildImageOptions, type BuiltImage } from './build-image.js';
export { detectContainerTool, onPath, type ContainerTool, type ContainerToolName } from './container-tool.js';
export { APP_DIR_IN_IMAGE, CONTAINER_PORT, DEFAULT_BASE_IMAGE, MODEL_DIR_IN_IMAGE, renderDockerfile, renderEntrypoint } from './dockerfile.js';
export { checkImageName } from './image-name.js';
