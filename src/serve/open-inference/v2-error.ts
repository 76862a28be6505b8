/**
 * A request the Open Inference Protocol refuses: answered with the protocol's error body
 * `{"error": "..."}` and this status (400 unless said otherwise).
 */
export class V2Error extends Error {
  constructor(message: string, readonly status = 400) {
    super(message);
    this.name = 'V2Error';
  }
}
