export { parseDTypeCode, setDTypeState, isDType, type DType, type DTypeField } from './dtype.js';
export { ndarrayFromBytes, ndarrayFromList, scalarFromBytes, shapeSize } from './ndarray.js';
