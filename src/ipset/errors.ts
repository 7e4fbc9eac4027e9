/**
 * What ipset refuses, as the real tool words it (ipset v7.17 on kernel 6.18). A kernel refusal
 * and a userspace syntax error both print `ipset v7.17: MESSAGE`; inside `ipset restore` they get
 * `Error in line N: ` in front. An argument error (unknown command or option) has no line
 * number and is followed by the tool's "Try `ipset help'" hint.
 */

/** The kernel's refusals (IPSET_ERR_* and errno), by the text ipset prints for them. */
export const KERNEL_MESSAGES = {
  exist: 'Set cannot be created: set with the same name already exists',
  noSet: 'The set with the given name does not exist',
  addExist: "Element cannot be added to the set: it's already added",
  delMissing: "Element cannot be deleted from the set: it's not added",
  hashFull: 'Hash is full, cannot add more elements',
  bitmapRange: 'Element is out of the range of the set',
  invalidCidr: 'The value of the CIDR parameter of the IP address is invalid',
  swapType: 'The sets cannot be swapped: their type does not match',
  renameExist: 'Set cannot be renamed: a set with the new name already exists',
  destroyBusy: 'Set cannot be destroyed: it is in use by a kernel component',
  listMemberMissing: 'Set to be added/deleted/tested as element does not exist.',
  listRefMissing: "The set to which you referred with 'before' or 'after' is not added to the set.",
  listRefNoSet: "The set to which you referred with 'before' or 'after' does not exist.",
  listLoop: 'Sets with list:set type cannot be added to the set.',
  timeoutUnsupported: 'Timeout cannot be used: set was created without timeout support',
  counterUnsupported: 'Packet/byte counters cannot be used: set was created without counter support',
  commentUnsupported: 'Comment cannot be used: set was created without comment support',
} as const;

/** Which kind of refusal: `kernel`/`syntax` get the restore line number, `argument` does not and adds the help hint. */
export type IpsetErrorKind = 'kernel' | 'syntax' | 'argument';

/** A refusal of one ipset command, with the message ipset prints after `ipset v7.17: `. */
export class IpsetError extends Error {
  constructor(
    readonly kind: IpsetErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'IpsetError';
  }
}

/** Something real ipset accepts that dpsim does not model (IPv6 sets, netmask, skbinfo …). */
export class IpsetNotModelled extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpsetNotModelled';
  }
}

export function kernelError(message: string): IpsetError {
  return new IpsetError('kernel', message);
}

export function syntaxError(message: string): IpsetError {
  return new IpsetError('syntax', `Syntax error: ${message}`);
}
