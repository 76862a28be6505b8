/**
 * The TensorFlow ops @tensorflow/tfjs-converter 4.22 executes (its op_list/*.json, 248 names),
 * minus those this loader cannot feed correctly: hash tables (their initializers are not run) and
 * TF-DF resources. A graph using anything else is refused at load time.
 */
export const TFJS_OPS: ReadonlySet<string> = new Set([
  'Abs', 'Acos', 'Acosh', 'Add', 'AddN', 'AddV2', 'All', 'Any', 'ArgMax', 'ArgMin', 'Asin', 'Asinh', 'Atan',
  'Atan2', 'Atanh', 'AvgPool', 'AvgPool3D', 'BatchMatMul', 'BatchMatMulV2', 'BatchToSpaceND', 'BiasAdd',
  'Bincount', 'BitwiseAnd', 'BroadcastArgs', 'BroadcastTo', 'Cast', 'Ceil', 'ClipByValue', 'Complex',
  'ComplexAbs', 'Concat', 'ConcatV2', 'Const', 'Conv1D', 'Conv2D', 'Conv2DBackpropInput', 'Conv3D', 'Cos',
  'Cosh', 'CropAndResize', 'Cumprod', 'Cumsum', 'DenseBincount', 'DepthToSpace', 'DepthwiseConv2d',
  'DepthwiseConv2dNative', 'Dilation2D', 'Div', 'DivNoNan', 'Einsum', 'Elu', 'EmptyTensorList',
  'EnsureShape', 'Enter', 'Equal', 'Erf', 'EuclideanNorm', 'Exit', 'Exp', 'ExpandDims', 'Expm1', 'FFT',
  'FakeQuantWithMinMaxVars', 'Fill', 'Floor', 'FloorDiv', 'FloorMod', 'FusedBatchNorm', 'FusedBatchNormV2',
  'FusedBatchNormV3', 'FusedDepthwiseConv2dNative', 'Gather', 'GatherNd', 'GatherV2', 'Greater',
  'GreaterEqual', 'IFFT', 'IRFFT', 'Identity', 'IdentityN', 'If', 'Imag', 'ImageProjectiveTransformV3', 'IsFinite',
  'IsInf', 'IsNan', 'LRN', 'LeakyRelu', 'Less', 'LessEqual', 'LinSpace', 'ListDiff', 'Log', 'Log1p',
  'LogSoftmax', 'LogicalAnd', 'LogicalNot', 'LogicalOr', 'LoopCond', 'LowerBound', 'MatMul',
  'MatrixBandPart', 'Max', 'MaxPool', 'MaxPool3D', 'MaxPoolWithArgmax', 'Maximum', 'Mean', 'Merge', 'Min',
  'Minimum', 'MirrorPad', 'Mod', 'Mul', 'Multinomial', 'Neg', 'NextIteration', 'NoOp', 'NonMaxSuppressionV2',
  'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5', 'NotEqual', 'OneHot', 'Ones',
  'OnesLike', 'Pack', 'Pad', 'PadV2', 'Placeholder', 'PlaceholderWithDefault', 'Pow', 'Prelu', 'Print',
  'Prod', 'RFFT', 'RaggedGather', 'RaggedRange', 'RaggedTensorToTensor', 'RandomStandardNormal',
  'RandomUniform', 'RandomUniformInt', 'Range', 'Rank', 'Real', 'RealDiv', 'Reciprocal', 'Relu', 'Relu6',
  'Reshape', 'ResizeBilinear', 'ResizeNearestNeighbor', 'Reverse', 'ReverseV2', 'Round', 'Rsqrt',
  'ScatterNd', 'Select', 'SelectV2', 'Selu', 'Shape', 'ShapeN', 'Sigmoid', 'Sign', 'Sin', 'Sinh', 'Size',
  'Slice', 'Snapshot', 'Softmax', 'Softplus', 'SpaceToBatchND', 'SparseFillEmptyRows', 'SparseReshape',
  'SparseSegmentMean', 'SparseSegmentSum', 'SparseToDense', 'Split', 'SplitV', 'Sqrt', 'Square',
  'SquaredDifference', 'Squeeze', 'StatelessIf', 'StatelessWhile', 'StaticRegexReplace', 'StopGradient', 'StridedSlice', 'StringNGrams',
  'StringSplit', 'StringToHashBucketFast', 'Sub', 'Sum', 'Switch', 'Tan', 'Tanh', 'TensorArrayCloseV3',
  'TensorArrayConcatV3', 'TensorArrayGatherV3', 'TensorArrayReadV3', 'TensorArrayScatterV3',
  'TensorArraySizeV3', 'TensorArraySplitV3', 'TensorArrayV3', 'TensorArrayWriteV3', 'TensorListConcat',
  'TensorListConcatV2', 'TensorListFromTensor', 'TensorListGather', 'TensorListGetItem', 'TensorListLength',
  'TensorListPopBack', 'TensorListPushBack', 'TensorListReserve', 'TensorListResize', 'TensorListScatter',
  'TensorListScatterV2', 'TensorListSetItem', 'TensorListSplit', 'TensorListStack', 'TensorScatterUpdate',
  'Tile', 'TopKV2', 'Transpose', 'TruncatedNormal', 'Unique', 'UniqueV2', 'Unpack', 'UpperBound', 'Where', 'While',
  'Zeros', 'ZerosLike', '_FusedConv2D', '_FusedMatMul',
]);

/**
 * Output argument lists of the ops (tfjs-supported or handled here) with more than one output
 * argument, in TensorFlow's order (tensorflow/core/ops/*.cc). A function body names an output
 * as `node:arg:index`; the flat index is the arg's offset plus index. An entry naming a
 * number attribute is a list whose length that attribute gives.
 */
export const MULTI_OUTPUT_ARGS: Readonly<Record<string, readonly (string | { name: string; numberAttr: string })[]>> = {
  FusedBatchNorm: ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'],
  FusedBatchNormV2: ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'],
  FusedBatchNormV3: ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2', 'reserve_space_3'],
  Unique: ['y', 'idx'],
  UniqueV2: ['y', 'idx'],
  TopKV2: ['values', 'indices'],
  Switch: ['output_false', 'output_true'],
  Merge: ['output', 'value_index'],
  NonMaxSuppressionV4: ['selected_indices', 'valid_outputs'],
  NonMaxSuppressionV5: ['selected_indices', 'selected_scores', 'valid_outputs'],
  MaxPoolWithArgmax: ['output', 'argmax'],
  SparseFillEmptyRows: ['output_indices', 'output_values', 'empty_row_indicator', 'reverse_index_map'],
  SparseReshape: ['output_indices', 'output_shape'],
  StringSplit: ['indices', 'values', 'shape'],
  StringNGrams: ['ngrams', 'ngrams_splits'],
  ListDiff: ['out', 'idx'],
  RaggedGather: [{ name: 'output_nested_splits', numberAttr: 'OUTPUT_RAGGED_RANK' }, 'output_dense_values'],
  RaggedRange: ['rt_nested_splits', 'rt_dense_values'],
  TensorArrayV3: ['handle', 'flow'],
  TensorArrayConcatV3: ['value', 'lengths'],
  TensorListPopBack: ['output_handle', 'tensor'],
  RestoreV2: ['tensors'],
};
