/** The VXLAN header (RFC 7348): flags (I bit), 24 reserved bits, the 24-bit VNI, 8 reserved bits. */
import { ETH_HLEN, VXLAN_HLEN } from './packet.js';

/** The flags byte with only the I bit set (a valid VNI follows), as RFC 7348 requires. */
export const VXLAN_FLAGS_VNI = 0x08;

/** True when bytes[at, end) starts with a VXLAN header (I flag only, reserved bits zero) and has room for an inner Ethernet header. */
export function isVxlanHeader(bytes: Uint8Array, at: number, end: number): boolean {
  return (
    end - at >= VXLAN_HLEN + ETH_HLEN &&
    bytes[at] === VXLAN_FLAGS_VNI &&
    bytes[at + 1] === 0 &&
    bytes[at + 2] === 0 &&
    bytes[at + 3] === 0 &&
    bytes[at + 7] === 0
  );
}
