/** The errors of the wire layer: bytes that do not decode, packets that do not encode. */

/** Bytes that are malformed or that dpsim does not model, with where and what. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';

  constructor(
    /** Byte offset in the decoded buffer where the problem sits. */
    readonly offset: number,
    /** What was wrong, e.g. "bad IPv4 header checksum". */
    readonly what: string,
  ) {
    super(`${what} (at byte ${offset})`);
  }
}

/** A packet whose fields cannot be put on the wire (a value out of its field's range, options not a multiple of 4 …). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';

  constructor(
    /** The Packet field at fault, e.g. "tcpOptions". */
    readonly field: string,
    /** What was wrong with it. */
    readonly what: string,
  ) {
    super(`${field}: ${what}`);
  }
}
