/** Errors of the IPVS control interface: the errno the kernel returns (ipvsadm turns it into its message). */
export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EEXIST = 17;
export const EINVAL = 22;

/** The kernel refused an IPVS control operation with `errno`. */
export class IpvsError extends Error {
  constructor(
    readonly errno: number,
    /** Set when dpsim refuses something the kernel would accept (a part it does not model). */
    readonly notModelled: string | null = null,
  ) {
    super(notModelled ?? `IPVS errno ${errno}`);
    this.name = 'IpvsError';
  }
}
