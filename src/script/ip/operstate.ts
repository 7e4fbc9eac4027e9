/**
 * A veth's operstate as `ip link` shows it. The kernel does not compute it when asked: it
 * keeps the value linkwatch last computed (default_operstate) at a carrier event — when the
 * pair is created, and when carrier comes (both ends up: UP) or goes (one end down). Without
 * carrier the value is LOWERLAYERDOWN when the device's iflink — the peer's ifindex, looked
 * up in the device's *own* namespace — names a device that is not up, else DOWN; so a peer
 * in another namespace usually gives DOWN, and moving the peer away later changes nothing
 * until the next carrier event. A device that is not running always prints DOWN.
 *
 * This is kernel state (NetDevice.operState computes it live); it lives here until
 * src/netns keeps it.
 */
import { VethDevice, type NetDevice } from '../../netns/device.js';
import type { Network } from '../../netns/network.js';
import { SEC } from '../../sim/time.js';

const lastComputed = new WeakMap<NetDevice, string>();

/** When linkwatch may next run for events of devices that are not running (it runs those at most once a second). */
const nextRun = new WeakMap<Network, number>();

/** netif_oper_up: the device's last computed operstate is UP or UNKNOWN (lo and dummy never leave UNKNOWN). */
function operUp(dev: NetDevice): boolean {
  if (!(dev instanceof VethDevice)) return dev.kind === 'loopback' || dev.kind === 'dummy' || dev.operState() === 'UP' || dev.operState() === 'UNKNOWN';
  const s = lastComputed.get(dev) ?? 'DOWN';
  return s === 'UP' || s === 'UNKNOWN';
}

/** default_operstate for a veth, now. */
function compute(dev: VethDevice): string {
  if (dev.running) return 'UP';
  const lower = dev.ns.deviceByIndex(dev.peer.ifindex);
  if (lower === undefined) return 'DOWN';
  return operUp(lower) ? 'DOWN' : 'LOWERLAYERDOWN';
}

/** A carrier event was processed for `dev` (linkwatch_do_dev → rfc2863_policy). */
function carrierEvent(dev: NetDevice): void {
  if (dev instanceof VethDevice) lastComputed.set(dev, compute(dev));
}

/**
 * A veth pair was created: both ends lose carrier (peer first). Neither is running, so
 * linkwatch handles the events at once only when it has been idle for a second; otherwise
 * later, by when the peer may have moved — computed when first needed.
 */
export function linkCreated(dev: NetDevice): void {
  if (!(dev instanceof VethDevice)) return;
  const net = dev.ns.net;
  const now = net.now;
  if (now >= (nextRun.get(net) ?? -Infinity)) {
    nextRun.set(net, now + SEC);
    carrierEvent(dev.peer);
    carrierEvent(dev);
  } else {
    lastComputed.delete(dev.peer);
    lastComputed.delete(dev);
  }
}

/** `dev` came up; with its veth peer up, carrier comes to both ends. */
export function linkOpened(dev: NetDevice): void {
  if (dev instanceof VethDevice && dev.running) {
    carrierEvent(dev);
    carrierEvent(dev.peer);
  }
}

/** `dev` went down (or was closed to move); `hadCarrier` when the pair had carrier, which both ends now lose. */
export function linkClosed(dev: NetDevice, hadCarrier: boolean): void {
  if (dev instanceof VethDevice && hadCarrier) {
    carrierEvent(dev);
    carrierEvent(dev.peer);
  }
}

/** The operstate `ip link` prints. */
export function operState(dev: NetDevice): string {
  if (!dev.adminUp) return 'DOWN';
  if (!(dev instanceof VethDevice)) return dev.operState();
  if (dev.running) return 'UP';
  // Changes made outside `ip` (a CNI plugin calling NetNamespace directly) leave no event: compute then.
  let s = lastComputed.get(dev);
  if (s === undefined || s === 'UP') {
    s = compute(dev);
    lastComputed.set(dev, s);
  }
  return s;
}
