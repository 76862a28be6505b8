// The part of seek-bzip (pure-JS bzip2 decoder, no types of its own) that bzip2.ts uses.
declare module 'seek-bzip' {
  interface InputStream {
    readByte(): number;
    read(into: Uint8Array, offset: number, length: number): number;
    seek(pos: number): void;
    eof(): boolean;
  }
  interface OutputStream {
    writeByte(byte: number): void;
  }
  const Bunzip: { decode(input: InputStream, output: OutputStream, multistream: boolean): void };
  export default Bunzip;
}
