/** TensorFlow's DEFAULT_SERVING_SIGNATURE_DEF_KEY. */
export const DEFAULT_SIGNATURE_KEY = 'serving_default';
/** TensorFlow's tag_constants.SERVING: the MetaGraph a server loads. */
export const DEFAULT_TAGS: readonly string[] = ['serve'];
