/*
 * `ip route` output recorded on this machine (Linux 6.18, iproute2 6.1.0), in a private
 * namespace: `unshare --mount --net bash -c 'mount -t tmpfs none /run/netns; bash record.sh'`
 * with record.sh:
 *
 *   ip link set lo up
 *   ip link add veth0 type veth peer name veth1
 *   ip link add veth2 type veth peer name veth3
 *   ip addr add 10.0.0.1/24 dev veth0
 *   echo '## A'; ip -4 route show table all
 *   ip link set veth0 up
 *   echo '## B'; ip -4 route show table all
 *   ip link set veth1 up
 *   ip addr add 10.1.0.1/31 dev veth0
 *   ip addr add 10.2.0.1/32 dev veth0
 *   ip addr add 10.3.0.1/30 dev veth0
 *   ip addr add 10.4.0.5/16 broadcast 10.4.0.127 dev veth0
 *   ip addr add 10.0.0.9/24 dev veth0
 *   ip addr add 10.10.0.1/24 dev lo
 *   sleep 0.3
 *   echo '## C'; ip -4 route show table all
 *   echo '## C2'; ip route show table local
 *   ip route add default via 10.0.0.254
 *   ip route add default via 10.0.0.253 metric 100
 *   ip route add 0.0.0.0/1 via 10.0.0.2
 *   ip route add 128.0.0.0/1 via 10.0.0.2
 *   ip route add 10.244.1.0/24 via 10.244.1.0 dev veth0 onlink
 *   ip route add blackhole 10.9.0.0/16
 *   ip route add unreachable 10.8.0.0/16
 *   ip route add prohibit 10.7.0.0/16
 *   ip route add throw 10.6.0.0/16
 *   ip route add 172.16.0.0/16 via 10.0.0.2 dev veth0 metric 100
 *   ip route add 172.16.0.0/16 via 10.0.0.3 metric 50
 *   ip route add 172.16.0.0/16 via 10.0.0.4
 *   ip route add 172.16.0.0/24 via 10.0.0.2 metric 10
 *   ip route add 172.0.0.0/8 via 10.0.0.2
 *   ip route add 172.16.1.0/24 via 10.0.0.2
 *   ip route add 172.16.0.0/24 via 10.0.0.5 tos 0x10
 *   ip route add 172.16.0.0/24 via 10.0.0.5 tos AF11
 *   ip route add 172.17.0.0/16 dev veth0
 *   ip route add 172.17.1.0/24 dev veth0 proto static src 10.0.0.1
 *   ip route add 172.17.2.0/24 via 10.0.0.2 proto dhcp metric 1024
 *   ip route add 172.17.3.0/24 via 10.0.0.2 proto boot
 *   ip route add 172.17.4.0/24 via 10.0.0.2 proto kernel
 *   ip route add 172.17.5.0/24 dev veth0 scope host
 *   ip route add 172.17.6.0/24 dev veth0 scope global
 *   ip route add 172.17.7.7 dev veth0
 *   ip route add 172.17.7.8/32 via 10.0.0.2
 *   ip route add 172.17.8.0/24 via 10.0.0.2 dev veth0 onlink metric 7 src 10.0.0.1 proto static
 *   ip route add multicast 224.1.0.0/16 dev veth0
 *   ip route add blackhole 172.18.0.0/16 table 100
 *   ip route add 172.18.0.0/16 via 10.0.0.2 table default
 *   ip route add local 172.19.0.0/24 dev veth0
 *   ip route add broadcast 172.19.1.255 dev veth0
 *   ip route add anycast 172.19.2.0 dev veth0
 *   echo '## D'; ip route show
 *   echo '## E'; ip -4 route show table all
 *   ip link set veth2 up
 *   ip route add 192.168.99.0/24 via 10.99.0.1 dev veth2 onlink
 *   ip route add 192.168.98.0/24 dev veth2 scope host
 *   ip route add 192.168.97.0/24 dev veth2
 *   echo '## F'; ip route show dev veth2
 *   echo '## F2'; ip route show proto static
 *   echo '## F3'; ip route show via 10.0.0.2 metric 7
 *   ip route add 10.50.0.0/24 via 10.0.0.2 dev veth2 onlink
 *   echo '## G'; ip -4 route show table all
 *   ip link set veth2 down
 *   ip link set veth0 down
 *   echo '## H'; ip -4 route show table all
 *
 * Errors, each run in the same kind of namespace (veth0 up with 192.168.0.1/24 or
 * 10.0.0.1/24, veth2 down without address; errno read with `strace -e trace=recvmsg`):
 *
 *   ip route add 10.2.0.0/16 via 10.3.0.1                  Error: Nexthop has invalid gateway.  (ENETUNREACH)
 *   ip route add 10.2.0.0/16 via 10.3.0.1 dev veth0        Error: Nexthop has invalid gateway.
 *   ip route add 10.2.0.0/16 via 10.0.0.2 dev veth2        Error: Nexthop has invalid gateway.  (veth2 down)
 *   ip route add 10.2.0.0/16 via 255.255.255.255           Error: Nexthop has invalid gateway.
 *   ip route add 10.2.0.0/16 via 224.0.0.1                 Error: Nexthop has invalid gateway.
 *   ip route add 10.38.0.0/24 via 10.0.0.2 scope link      Error: Nexthop has invalid gateway.
 *   ip route add 10.2.0.0/16 dev veth2                     Error: Device for nexthop is not up.  (ENETDOWN)
 *   ip route add 10.2.0.0/16 via 10.3.0.1 dev veth2 onlink Error: Nexthop device is not up.  (ENETDOWN)
 *   ip route add 10.2.0.1/16 dev veth0                     Error: Invalid prefix for given prefix length.  (EINVAL)
 *   ip route add 10.2.0.0/16 via 10.0.0.2 src 10.9.9.9     Error: Invalid prefsrc address.  (EINVAL; any local address, even 127.0.0.1, is accepted)
 *   ip route add blackhole 10.2.0.0/16 dev veth0           Error: Gateway, device and multipath can not be specified for this route type.  (EINVAL)
 *   ip route add 10.2.0.0/16 via 192.168.0.2 scope host    Error: Route with host scope can not have a gateway.  (EINVAL)
 *   ip route add local 10.5.6.0/24 dev veth0 scope link    Error: Invalid scope.  (EINVAL)
 *   ip route del 10.4.0.0/24 table 100                     Error: FIB table does not exist.  (ESRCH)
 *   ip route add 10.2.0.0/16                               RTNETLINK answers: No such device  (ENODEV)
 *   ip route add 10.2.0.0/16 via 0.0.0.0                   RTNETLINK answers: No such device
 *   ip route change 10.2.0.0/16 dev veth0                  RTNETLINK answers: No such file or directory  (ENOENT)
 *   ip route add 10.2.0.0/16 dev veth0   (twice)           RTNETLINK answers: File exists  (EEXIST)
 *   ip route del 10.2.9.0/24 dev veth0                     RTNETLINK answers: No such process  (ESRCH)
 *   ip route add 10.2.0.0/16 dev nosuch                    Cannot find device "nosuch"  (iproute2 itself, exit status 1)
 *   ip route add 10.2.0.0/33 dev veth0                     Error: any valid prefix is expected rather than "10.2.0.0/33".  (iproute2, exit 1)
 * Kernel errors exit with status 2. `ip route add 10.2.0.0/16 via 10.0.0.1` (a local
 * address as gateway) succeeds.
 */
import { describe, expect, it } from 'vitest';
import { formatRoute, formatRoutes, tableDumpOrder, type RouteFormatOptions } from './route-format.js';
import {
  RouteErrors,
  RouteTable,
  RTN_BROADCAST,
  RTN_ANYCAST,
  RTN_BLACKHOLE,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTPROT_BOOT,
  RTPROT_DHCP,
  RTPROT_KERNEL,
  RTPROT_STATIC,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_DEFAULT,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  defaultRouteScope,
  defaultRouteTable,
  flushedByDeviceDown,
  newRoute,
  type RouteInit,
} from './route-table.js';

const LO = 1;
const VETH0 = 2;
const VETH2 = 4;
const DEV_NAMES = new Map([
  [LO, 'lo'],
  [VETH0, 'veth0'],
  [VETH2, 'veth2'],
]);
const devName = (ifindex: number): string => DEV_NAMES.get(ifindex) ?? `if${ifindex}`;

/** A dotted quad as an unsigned number. */
function ip(text: string): number {
  return text.split('.').reduce((a, b) => a * 256 + Number(b), 0);
}

/** A recorded block as `ip` printed it: every line ends in one space (written here without it). */
function printed(block: string): string {
  return block
    .trim()
    .split('\n')
    .map((l) => `${l} \n`)
    .join('');
}

/** The routing tables of the recorded namespace, built as the kernel builds them. */
class RecordedNamespace {
  readonly tables = new Map<number, RouteTable>();
  readonly created: number[] = [];
  readonly noCarrier = new Set<number>();

  constructor() {
    this.table(RT_TABLE_LOCAL);
    this.table(RT_TABLE_MAIN);
  }

  table(id: number): RouteTable {
    let t = this.tables.get(id);
    if (t === undefined) {
      t = new RouteTable(id);
      this.tables.set(id, t);
      this.created.push(id);
    }
    return t;
  }

  /** A route the kernel adds for an address (proto kernel). */
  kernel(table: number, type: number, dst: string, prefixLen: number, dev: number, src: string): void {
    const scope = type === RTN_LOCAL ? RT_SCOPE_HOST : RT_SCOPE_LINK;
    const init = { table, type, dst: ip(dst), prefixLen, oif: dev, prefsrc: ip(src), scope, protocol: RTPROT_KERNEL };
    expect(this.table(table).append(init)).toBeNull();
  }

  /** `ip route add`, with iproute2's defaults for table, scope and protocol. */
  add(init: RouteInit): void {
    const type = init.type ?? RTN_UNICAST;
    const table = init.table ?? defaultRouteTable(type);
    const route = newRoute({ scope: defaultRouteScope(type, init.gateway ?? 0), protocol: RTPROT_BOOT, ...init, table });
    expect(this.table(table).add(route)).toBeNull();
  }

  options(extra: RouteFormatOptions = {}): RouteFormatOptions {
    return { noCarrier: (i) => this.noCarrier.has(i), ...extra };
  }

  /** `ip -4 route show table all`. */
  showAll(): string {
    return tableDumpOrder(this.created)
      .map((id) => formatRoutes(this.table(id).routes(), devName, this.options({ showTable: true })))
      .join('');
  }

  /** `ip route show [table T]`. */
  show(id = RT_TABLE_MAIN): string {
    return formatRoutes(this.table(id).routes(), devName, this.options());
  }
}

/** 10.0.0.1/24 on veth0, added while veth0 is down: only its local route (step A). */
function stepA(): RecordedNamespace {
  const ns = new RecordedNamespace();
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '127.0.0.0', 8, LO, '127.0.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '127.0.0.1', 32, LO, '127.0.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_BROADCAST, '127.255.255.255', 32, LO, '127.0.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '10.0.0.1', 32, VETH0, '10.0.0.1');
  return ns;
}

/** veth0 up, its peer still down: subnet and broadcast routes appear, with linkdown (step B). */
function stepB(): RecordedNamespace {
  const ns = stepA();
  ns.kernel(RT_TABLE_MAIN, RTN_UNICAST, '10.0.0.0', 24, VETH0, '10.0.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_BROADCAST, '10.0.0.255', 32, VETH0, '10.0.0.1');
  ns.noCarrier.add(VETH0);
  return ns;
}

/** Carrier, and the /31, /32, /30, /16-with-brd, secondary and loopback addresses (step C). */
function stepC(): RecordedNamespace {
  const ns = stepB();
  ns.noCarrier.delete(VETH0);
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '10.1.0.1', 32, VETH0, '10.1.0.1');
  ns.kernel(RT_TABLE_MAIN, RTN_UNICAST, '10.1.0.0', 31, VETH0, '10.1.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '10.2.0.1', 32, VETH0, '10.2.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '10.3.0.1', 32, VETH0, '10.3.0.1');
  ns.kernel(RT_TABLE_MAIN, RTN_UNICAST, '10.3.0.0', 30, VETH0, '10.3.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_BROADCAST, '10.3.0.3', 32, VETH0, '10.3.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '10.4.0.5', 32, VETH0, '10.4.0.5');
  ns.kernel(RT_TABLE_LOCAL, RTN_BROADCAST, '10.4.0.127', 32, VETH0, '10.4.0.5');
  ns.kernel(RT_TABLE_MAIN, RTN_UNICAST, '10.4.0.0', 16, VETH0, '10.4.0.5');
  ns.kernel(RT_TABLE_LOCAL, RTN_BROADCAST, '10.4.255.255', 32, VETH0, '10.4.0.5');
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '10.0.0.9', 32, VETH0, '10.0.0.1'); // a secondary: src is the primary
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '10.10.0.1', 32, LO, '10.10.0.1');
  ns.kernel(RT_TABLE_LOCAL, RTN_LOCAL, '10.10.0.0', 24, LO, '10.10.0.1'); // on a loopback the subnet is local
  ns.kernel(RT_TABLE_LOCAL, RTN_BROADCAST, '10.10.0.255', 32, LO, '10.10.0.1');
  return ns;
}

/** The `ip route add` commands of the recording (step D/E). */
function stepD(): RecordedNamespace {
  const ns = stepC();
  const gw = ip('10.0.0.2');
  ns.add({ dst: 0, prefixLen: 0, gateway: ip('10.0.0.254'), oif: VETH0 });
  ns.add({ dst: 0, prefixLen: 0, gateway: ip('10.0.0.253'), oif: VETH0, priority: 100 });
  ns.add({ dst: 0, prefixLen: 1, gateway: gw, oif: VETH0 });
  ns.add({ dst: ip('128.0.0.0'), prefixLen: 1, gateway: gw, oif: VETH0 });
  ns.add({ dst: ip('10.244.1.0'), prefixLen: 24, gateway: ip('10.244.1.0'), oif: VETH0, onlink: true });
  ns.add({ type: RTN_BLACKHOLE, dst: ip('10.9.0.0'), prefixLen: 16 });
  ns.add({ type: RTN_UNREACHABLE, dst: ip('10.8.0.0'), prefixLen: 16 });
  ns.add({ type: RTN_PROHIBIT, dst: ip('10.7.0.0'), prefixLen: 16 });
  ns.add({ type: RTN_THROW, dst: ip('10.6.0.0'), prefixLen: 16 });
  ns.add({ dst: ip('172.16.0.0'), prefixLen: 16, gateway: gw, oif: VETH0, priority: 100 });
  ns.add({ dst: ip('172.16.0.0'), prefixLen: 16, gateway: ip('10.0.0.3'), oif: VETH0, priority: 50 });
  ns.add({ dst: ip('172.16.0.0'), prefixLen: 16, gateway: ip('10.0.0.4'), oif: VETH0 });
  ns.add({ dst: ip('172.16.0.0'), prefixLen: 24, gateway: gw, oif: VETH0, priority: 10 });
  ns.add({ dst: ip('172.0.0.0'), prefixLen: 8, gateway: gw, oif: VETH0 });
  ns.add({ dst: ip('172.16.1.0'), prefixLen: 24, gateway: gw, oif: VETH0 });
  ns.add({ dst: ip('172.16.0.0'), prefixLen: 24, gateway: ip('10.0.0.5'), oif: VETH0, tos: 0x10 });
  ns.add({ dst: ip('172.16.0.0'), prefixLen: 24, gateway: ip('10.0.0.5'), oif: VETH0, tos: 0x28 });
  ns.add({ dst: ip('172.17.0.0'), prefixLen: 16, oif: VETH0 });
  ns.add({ dst: ip('172.17.1.0'), prefixLen: 24, oif: VETH0, protocol: RTPROT_STATIC, prefsrc: ip('10.0.0.1') });
  ns.add({ dst: ip('172.17.2.0'), prefixLen: 24, gateway: gw, oif: VETH0, protocol: RTPROT_DHCP, priority: 1024 });
  ns.add({ dst: ip('172.17.3.0'), prefixLen: 24, gateway: gw, oif: VETH0, protocol: RTPROT_BOOT });
  ns.add({ dst: ip('172.17.4.0'), prefixLen: 24, gateway: gw, oif: VETH0, protocol: RTPROT_KERNEL });
  ns.add({ dst: ip('172.17.5.0'), prefixLen: 24, oif: VETH0, scope: RT_SCOPE_HOST });
  ns.add({ dst: ip('172.17.6.0'), prefixLen: 24, oif: VETH0, scope: RT_SCOPE_UNIVERSE });
  ns.add({ dst: ip('172.17.7.7'), prefixLen: 32, oif: VETH0 });
  ns.add({ dst: ip('172.17.7.8'), prefixLen: 32, gateway: gw, oif: VETH0 });
  const static8 = { gateway: gw, oif: VETH0, onlink: true, priority: 7, prefsrc: ip('10.0.0.1'), protocol: RTPROT_STATIC };
  ns.add({ dst: ip('172.17.8.0'), prefixLen: 24, ...static8 });
  ns.add({ type: RTN_MULTICAST, dst: ip('224.1.0.0'), prefixLen: 16, oif: VETH0 });
  ns.add({ type: RTN_BLACKHOLE, dst: ip('172.18.0.0'), prefixLen: 16, table: 100 });
  ns.add({ dst: ip('172.18.0.0'), prefixLen: 16, gateway: gw, oif: VETH0, table: RT_TABLE_DEFAULT });
  ns.add({ type: RTN_LOCAL, dst: ip('172.19.0.0'), prefixLen: 24, oif: VETH0 });
  ns.add({ type: RTN_BROADCAST, dst: ip('172.19.1.255'), prefixLen: 32, oif: VETH0 });
  ns.add({ type: RTN_ANYCAST, dst: ip('172.19.2.0'), prefixLen: 32, oif: VETH0 });
  return ns;
}

/** veth2 up without carrier, with routes through it (step F/G). */
function stepG(): RecordedNamespace {
  const ns = stepD();
  ns.noCarrier.add(VETH2);
  ns.add({ dst: ip('192.168.99.0'), prefixLen: 24, gateway: ip('10.99.0.1'), oif: VETH2, onlink: true });
  ns.add({ dst: ip('192.168.98.0'), prefixLen: 24, oif: VETH2, scope: RT_SCOPE_HOST });
  ns.add({ dst: ip('192.168.97.0'), prefixLen: 24, oif: VETH2 });
  return ns;
}

describe('ip route show, as recorded on this machine', () => {
  it('A: an address on a down device has only its local route', () => {
    expect(stepA().showAll()).toBe(printed(RECORDED.A));
  });

  it('B: up without carrier: subnet and broadcast routes, marked linkdown; local routes never are', () => {
    expect(stepB().showAll()).toBe(printed(RECORDED.B));
  });

  it('C: /31 and /32 get no broadcast route, /32 no subnet route, brd adds one more, lo subnets are local', () => {
    const ns = stepC();
    expect(ns.showAll()).toBe(printed(RECORDED.C));
    expect(ns.show(RT_TABLE_LOCAL)).toBe(printed(RECORDED.C2));
  });

  it('D: user routes in dump order: dst ascending, longer prefix first, tos descending, metric ascending', () => {
    expect(stepD().show()).toBe(printed(RECORDED.D));
  });

  it('E: table all names every table but main, tables by id modulo 256', () => {
    expect(stepD().showAll()).toBe(printed(RECORDED.E));
  });

  it('F: a selector hides the fields it fixed', () => {
    const ns = stepG();
    const main = ns.table(RT_TABLE_MAIN).routes();
    const show = (pick: (r: (typeof main)[number]) => boolean, omit: RouteFormatOptions['omit']): string =>
      formatRoutes(main.filter(pick), devName, ns.options({ omit }));
    expect(show((r) => r.oif === VETH2, { dev: true })).toBe(printed(RECORDED.F));
    expect(show((r) => r.protocol === RTPROT_STATIC, { proto: true })).toBe(printed(RECORDED.F2));
    expect(show((r) => r.gateway === ip('10.0.0.2') && r.priority === 7, { via: true, metric: true })).toBe(printed(RECORDED.F3));
  });

  it('G: onlink and linkdown come last; scope host routes never show linkdown', () => {
    const ns = stepG();
    ns.add({ dst: ip('10.50.0.0'), prefixLen: 24, gateway: ip('10.0.0.2'), oif: VETH2, onlink: true });
    expect(ns.showAll()).toBe(printed(RECORDED.G));
  });

  it('H: a device going down takes every route through it except host-scoped ones', () => {
    const ns = stepG();
    ns.add({ dst: ip('10.50.0.0'), prefixLen: 24, gateway: ip('10.0.0.2'), oif: VETH2, onlink: true });
    for (const dev of [VETH2, VETH0]) for (const t of ns.tables.values()) t.removeWhere((r) => flushedByDeviceDown(r, dev));
    expect(ns.showAll()).toBe(printed(RECORDED.H));
  });
});

describe('formatRoute', () => {
  it('prints the lines of the brief', () => {
    const flannel = newRoute({ dst: ip('10.244.1.0'), prefixLen: 24, gateway: ip('10.244.1.0'), oif: 7, onlink: true });
    expect(formatRoute(flannel, () => 'flannel.1')).toBe('10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink ');
    const metric = newRoute({ dst: ip('10.1.0.0'), prefixLen: 16, gateway: ip('10.0.0.2'), oif: 2, priority: 100 });
    expect(formatRoute(metric, () => 'eth0')).toBe('10.1.0.0/16 via 10.0.0.2 dev eth0 metric 100 ');
  });

  it('names unknown protocols, scopes and tables by number', () => {
    const r = newRoute({ dst: ip('10.36.0.0'), prefixLen: 24, oif: 2, protocol: 200, scope: 7, table: 1000 });
    expect(formatRoute(r, () => 'veth0', { showTable: true })).toBe('10.36.0.0/24 dev veth0 table 1000 proto 200 scope 7 ');
    const babel = newRoute({ dst: ip('10.36.0.0'), prefixLen: 24, oif: 2, protocol: 42, scope: 200 });
    expect(formatRoute(babel, () => 'veth0')).toBe('10.36.0.0/24 dev veth0 proto babel scope site ');
  });

  it('prints a default blackhole with its metric', () => {
    expect(formatRoute(newRoute({ type: RTN_BLACKHOLE, dst: 0, prefixLen: 0, priority: 7 }), devName)).toBe('blackhole default metric 7 ');
  });
});

describe('tableDumpOrder', () => {
  it('orders by id modulo 256, newest first within a bucket (recorded: tables 1, 257, 513, 511, 253, 509 made in that order)', () => {
    // ip -4 route show table all listed: 513, 257, 1, 509, default, main, 511, local
    expect(tableDumpOrder([RT_TABLE_LOCAL, RT_TABLE_MAIN, 1, 257, 513, 511, 253, 509])).toEqual([513, 257, 1, 509, 253, 254, 511, 255]);
  });
});

describe('RouteErrors', () => {
  it('carries the messages ip printed', () => {
    expect(RouteErrors.fileExists.message).toBe('RTNETLINK answers: File exists');
    expect(RouteErrors.noSuchProcess.message).toBe('RTNETLINK answers: No such process');
    expect(RouteErrors.invalidGateway.message).toBe('Error: Nexthop has invalid gateway.');
    expect(RouteErrors.deviceNotUp.message).toBe('Error: Device for nexthop is not up.');
    expect(RouteErrors.nexthopDeviceNotUp.message).toBe('Error: Nexthop device is not up.');
  });
});

/** What record.sh printed, by section; each line's trailing space is left out here and put back by `printed`. */
const RECORDED = {
  A: `
local 10.0.0.1 dev veth0 table local proto kernel scope host src 10.0.0.1
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1
broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1
`,
  B: `
10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1 linkdown
local 10.0.0.1 dev veth0 table local proto kernel scope host src 10.0.0.1
broadcast 10.0.0.255 dev veth0 table local proto kernel scope link src 10.0.0.1 linkdown
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1
broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1
`,
  C: `
10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1
10.1.0.0/31 dev veth0 proto kernel scope link src 10.1.0.1
10.3.0.0/30 dev veth0 proto kernel scope link src 10.3.0.1
10.4.0.0/16 dev veth0 proto kernel scope link src 10.4.0.5
local 10.0.0.1 dev veth0 table local proto kernel scope host src 10.0.0.1
local 10.0.0.9 dev veth0 table local proto kernel scope host src 10.0.0.1
broadcast 10.0.0.255 dev veth0 table local proto kernel scope link src 10.0.0.1
local 10.1.0.1 dev veth0 table local proto kernel scope host src 10.1.0.1
local 10.2.0.1 dev veth0 table local proto kernel scope host src 10.2.0.1
local 10.3.0.1 dev veth0 table local proto kernel scope host src 10.3.0.1
broadcast 10.3.0.3 dev veth0 table local proto kernel scope link src 10.3.0.1
local 10.4.0.5 dev veth0 table local proto kernel scope host src 10.4.0.5
broadcast 10.4.0.127 dev veth0 table local proto kernel scope link src 10.4.0.5
broadcast 10.4.255.255 dev veth0 table local proto kernel scope link src 10.4.0.5
local 10.10.0.0/24 dev lo table local proto kernel scope host src 10.10.0.1
local 10.10.0.1 dev lo table local proto kernel scope host src 10.10.0.1
broadcast 10.10.0.255 dev lo table local proto kernel scope link src 10.10.0.1
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1
broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1
`,
  C2: `
local 10.0.0.1 dev veth0 proto kernel scope host src 10.0.0.1
local 10.0.0.9 dev veth0 proto kernel scope host src 10.0.0.1
broadcast 10.0.0.255 dev veth0 proto kernel scope link src 10.0.0.1
local 10.1.0.1 dev veth0 proto kernel scope host src 10.1.0.1
local 10.2.0.1 dev veth0 proto kernel scope host src 10.2.0.1
local 10.3.0.1 dev veth0 proto kernel scope host src 10.3.0.1
broadcast 10.3.0.3 dev veth0 proto kernel scope link src 10.3.0.1
local 10.4.0.5 dev veth0 proto kernel scope host src 10.4.0.5
broadcast 10.4.0.127 dev veth0 proto kernel scope link src 10.4.0.5
broadcast 10.4.255.255 dev veth0 proto kernel scope link src 10.4.0.5
local 10.10.0.0/24 dev lo proto kernel scope host src 10.10.0.1
local 10.10.0.1 dev lo proto kernel scope host src 10.10.0.1
broadcast 10.10.0.255 dev lo proto kernel scope link src 10.10.0.1
local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1
local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1
broadcast 127.255.255.255 dev lo proto kernel scope link src 127.0.0.1
`,
  D: `
0.0.0.0/1 via 10.0.0.2 dev veth0
default via 10.0.0.254 dev veth0
default via 10.0.0.253 dev veth0 metric 100
10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1
10.1.0.0/31 dev veth0 proto kernel scope link src 10.1.0.1
10.3.0.0/30 dev veth0 proto kernel scope link src 10.3.0.1
10.4.0.0/16 dev veth0 proto kernel scope link src 10.4.0.5
throw 10.6.0.0/16
prohibit 10.7.0.0/16
unreachable 10.8.0.0/16
blackhole 10.9.0.0/16
10.244.1.0/24 via 10.244.1.0 dev veth0 onlink
128.0.0.0/1 via 10.0.0.2 dev veth0
172.0.0.0/8 via 10.0.0.2 dev veth0
172.16.0.0/24 tos AF11 via 10.0.0.5 dev veth0
172.16.0.0/24 tos 0x10 via 10.0.0.5 dev veth0
172.16.0.0/24 via 10.0.0.2 dev veth0 metric 10
172.16.0.0/16 via 10.0.0.4 dev veth0
172.16.0.0/16 via 10.0.0.3 dev veth0 metric 50
172.16.0.0/16 via 10.0.0.2 dev veth0 metric 100
172.16.1.0/24 via 10.0.0.2 dev veth0
172.17.0.0/16 dev veth0 scope link
172.17.1.0/24 dev veth0 proto static scope link src 10.0.0.1
172.17.2.0/24 via 10.0.0.2 dev veth0 proto dhcp metric 1024
172.17.3.0/24 via 10.0.0.2 dev veth0
172.17.4.0/24 via 10.0.0.2 dev veth0 proto kernel
172.17.5.0/24 dev veth0 scope host
172.17.6.0/24 dev veth0
172.17.7.7 dev veth0 scope link
172.17.7.8 via 10.0.0.2 dev veth0
172.17.8.0/24 via 10.0.0.2 dev veth0 proto static src 10.0.0.1 metric 7 onlink
multicast 224.1.0.0/16 dev veth0 scope link
`,
  E: `
blackhole 172.18.0.0/16 table 100
172.18.0.0/16 via 10.0.0.2 dev veth0 table default
0.0.0.0/1 via 10.0.0.2 dev veth0
default via 10.0.0.254 dev veth0
default via 10.0.0.253 dev veth0 metric 100
10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1
10.1.0.0/31 dev veth0 proto kernel scope link src 10.1.0.1
10.3.0.0/30 dev veth0 proto kernel scope link src 10.3.0.1
10.4.0.0/16 dev veth0 proto kernel scope link src 10.4.0.5
throw 10.6.0.0/16
prohibit 10.7.0.0/16
unreachable 10.8.0.0/16
blackhole 10.9.0.0/16
10.244.1.0/24 via 10.244.1.0 dev veth0 onlink
128.0.0.0/1 via 10.0.0.2 dev veth0
172.0.0.0/8 via 10.0.0.2 dev veth0
172.16.0.0/24 tos AF11 via 10.0.0.5 dev veth0
172.16.0.0/24 tos 0x10 via 10.0.0.5 dev veth0
172.16.0.0/24 via 10.0.0.2 dev veth0 metric 10
172.16.0.0/16 via 10.0.0.4 dev veth0
172.16.0.0/16 via 10.0.0.3 dev veth0 metric 50
172.16.0.0/16 via 10.0.0.2 dev veth0 metric 100
172.16.1.0/24 via 10.0.0.2 dev veth0
172.17.0.0/16 dev veth0 scope link
172.17.1.0/24 dev veth0 proto static scope link src 10.0.0.1
172.17.2.0/24 via 10.0.0.2 dev veth0 proto dhcp metric 1024
172.17.3.0/24 via 10.0.0.2 dev veth0
172.17.4.0/24 via 10.0.0.2 dev veth0 proto kernel
172.17.5.0/24 dev veth0 scope host
172.17.6.0/24 dev veth0
172.17.7.7 dev veth0 scope link
172.17.7.8 via 10.0.0.2 dev veth0
172.17.8.0/24 via 10.0.0.2 dev veth0 proto static src 10.0.0.1 metric 7 onlink
multicast 224.1.0.0/16 dev veth0 scope link
local 10.0.0.1 dev veth0 table local proto kernel scope host src 10.0.0.1
local 10.0.0.9 dev veth0 table local proto kernel scope host src 10.0.0.1
broadcast 10.0.0.255 dev veth0 table local proto kernel scope link src 10.0.0.1
local 10.1.0.1 dev veth0 table local proto kernel scope host src 10.1.0.1
local 10.2.0.1 dev veth0 table local proto kernel scope host src 10.2.0.1
local 10.3.0.1 dev veth0 table local proto kernel scope host src 10.3.0.1
broadcast 10.3.0.3 dev veth0 table local proto kernel scope link src 10.3.0.1
local 10.4.0.5 dev veth0 table local proto kernel scope host src 10.4.0.5
broadcast 10.4.0.127 dev veth0 table local proto kernel scope link src 10.4.0.5
broadcast 10.4.255.255 dev veth0 table local proto kernel scope link src 10.4.0.5
local 10.10.0.0/24 dev lo table local proto kernel scope host src 10.10.0.1
local 10.10.0.1 dev lo table local proto kernel scope host src 10.10.0.1
broadcast 10.10.0.255 dev lo table local proto kernel scope link src 10.10.0.1
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1
broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1
local 172.19.0.0/24 dev veth0 table local scope host
broadcast 172.19.1.255 dev veth0 table local scope link
anycast 172.19.2.0 dev veth0 table local scope link
`,
  F: `
192.168.97.0/24 scope link linkdown
192.168.98.0/24 scope host
192.168.99.0/24 via 10.99.0.1 onlink linkdown
`,
  F2: `
172.17.1.0/24 dev veth0 scope link src 10.0.0.1
172.17.8.0/24 via 10.0.0.2 dev veth0 src 10.0.0.1 metric 7 onlink
`,
  F3: `
172.17.8.0/24 dev veth0 proto static src 10.0.0.1 onlink
`,
  G: `
blackhole 172.18.0.0/16 table 100
172.18.0.0/16 via 10.0.0.2 dev veth0 table default
0.0.0.0/1 via 10.0.0.2 dev veth0
default via 10.0.0.254 dev veth0
default via 10.0.0.253 dev veth0 metric 100
10.0.0.0/24 dev veth0 proto kernel scope link src 10.0.0.1
10.1.0.0/31 dev veth0 proto kernel scope link src 10.1.0.1
10.3.0.0/30 dev veth0 proto kernel scope link src 10.3.0.1
10.4.0.0/16 dev veth0 proto kernel scope link src 10.4.0.5
throw 10.6.0.0/16
prohibit 10.7.0.0/16
unreachable 10.8.0.0/16
blackhole 10.9.0.0/16
10.50.0.0/24 via 10.0.0.2 dev veth2 onlink linkdown
10.244.1.0/24 via 10.244.1.0 dev veth0 onlink
128.0.0.0/1 via 10.0.0.2 dev veth0
172.0.0.0/8 via 10.0.0.2 dev veth0
172.16.0.0/24 tos AF11 via 10.0.0.5 dev veth0
172.16.0.0/24 tos 0x10 via 10.0.0.5 dev veth0
172.16.0.0/24 via 10.0.0.2 dev veth0 metric 10
172.16.0.0/16 via 10.0.0.4 dev veth0
172.16.0.0/16 via 10.0.0.3 dev veth0 metric 50
172.16.0.0/16 via 10.0.0.2 dev veth0 metric 100
172.16.1.0/24 via 10.0.0.2 dev veth0
172.17.0.0/16 dev veth0 scope link
172.17.1.0/24 dev veth0 proto static scope link src 10.0.0.1
172.17.2.0/24 via 10.0.0.2 dev veth0 proto dhcp metric 1024
172.17.3.0/24 via 10.0.0.2 dev veth0
172.17.4.0/24 via 10.0.0.2 dev veth0 proto kernel
172.17.5.0/24 dev veth0 scope host
172.17.6.0/24 dev veth0
172.17.7.7 dev veth0 scope link
172.17.7.8 via 10.0.0.2 dev veth0
172.17.8.0/24 via 10.0.0.2 dev veth0 proto static src 10.0.0.1 metric 7 onlink
192.168.97.0/24 dev veth2 scope link linkdown
192.168.98.0/24 dev veth2 scope host
192.168.99.0/24 via 10.99.0.1 dev veth2 onlink linkdown
multicast 224.1.0.0/16 dev veth0 scope link
local 10.0.0.1 dev veth0 table local proto kernel scope host src 10.0.0.1
local 10.0.0.9 dev veth0 table local proto kernel scope host src 10.0.0.1
broadcast 10.0.0.255 dev veth0 table local proto kernel scope link src 10.0.0.1
local 10.1.0.1 dev veth0 table local proto kernel scope host src 10.1.0.1
local 10.2.0.1 dev veth0 table local proto kernel scope host src 10.2.0.1
local 10.3.0.1 dev veth0 table local proto kernel scope host src 10.3.0.1
broadcast 10.3.0.3 dev veth0 table local proto kernel scope link src 10.3.0.1
local 10.4.0.5 dev veth0 table local proto kernel scope host src 10.4.0.5
broadcast 10.4.0.127 dev veth0 table local proto kernel scope link src 10.4.0.5
broadcast 10.4.255.255 dev veth0 table local proto kernel scope link src 10.4.0.5
local 10.10.0.0/24 dev lo table local proto kernel scope host src 10.10.0.1
local 10.10.0.1 dev lo table local proto kernel scope host src 10.10.0.1
broadcast 10.10.0.255 dev lo table local proto kernel scope link src 10.10.0.1
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1
broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1
local 172.19.0.0/24 dev veth0 table local scope host
broadcast 172.19.1.255 dev veth0 table local scope link
anycast 172.19.2.0 dev veth0 table local scope link
`,
  H: `
blackhole 172.18.0.0/16 table 100
throw 10.6.0.0/16
prohibit 10.7.0.0/16
unreachable 10.8.0.0/16
blackhole 10.9.0.0/16
172.17.5.0/24 dev veth0 scope host
192.168.98.0/24 dev veth2 scope host
local 10.0.0.1 dev veth0 table local proto kernel scope host src 10.0.0.1
local 10.0.0.9 dev veth0 table local proto kernel scope host src 10.0.0.1
local 10.1.0.1 dev veth0 table local proto kernel scope host src 10.1.0.1
local 10.2.0.1 dev veth0 table local proto kernel scope host src 10.2.0.1
local 10.3.0.1 dev veth0 table local proto kernel scope host src 10.3.0.1
local 10.4.0.5 dev veth0 table local proto kernel scope host src 10.4.0.5
local 10.10.0.0/24 dev lo table local proto kernel scope host src 10.10.0.1
local 10.10.0.1 dev lo table local proto kernel scope host src 10.10.0.1
broadcast 10.10.0.255 dev lo table local proto kernel scope link src 10.10.0.1
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1
broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1
local 172.19.0.0/24 dev veth0 table local scope host
`,
};
