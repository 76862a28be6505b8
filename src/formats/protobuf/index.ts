/** formats/protobuf: protobuf schemas of other projects' file formats, as small hand-written subsets. */
export * from './tensorflow.js';
