/**
 * `sysctl` (procps-ng 4.0.2) over a namespace's modelled settings. Facts from this machine
 * (kernel 6.18, CONFIG_HZ=250), read in a fresh `unshare --net` namespace:
 * - `KEY=VALUE` writes with or without `-w`; the echo repeats the value as given
 *   (`sysctl -w net.ipv4.ip_forward=0x1` prints `net.ipv4.ip_forward = 0x1`).
 * - Values parse as the kernel's proc_dointvec does: optional `-`, then decimal, `0x` hex or
 *   leading-`0` octal, then only blanks; anything else is `Invalid argument`.
 * - `*_ms` neighbour times and icmp_ratelimit are stored in jiffies: they read back rounded
 *   up to 4 ms.
 * - `net.ipv4.neigh.default.*` exists only in the initial namespace, never in a scenario's.
 * - Changing net.ipv4.ip_forward / conf.all.forwarding sets conf.default.forwarding and every
 *   device's forwarding, and conf.all.accept_redirects to its negation (inet_forward_change);
 *   writing conf.default.KEY copies it to every device that never had KEY written
 *   (devinet_copy_dflt_conf).
 */
import type { NetNamespace } from '../netns/namespace.js';
import type { NetDevice } from '../netns/device.js';
import { INET_CONF_KEYS, NEIGH_PARM_KEYS, type InetConf, type InetConfKey, type NeighParmKey, type NeighParms } from '../netns/sysctl.js';
import { ScriptError, type Command, type CommandHandler, type ScriptContext } from './context.js';

/** The kernel's tick rate on this machine; jiffies-backed millisecond values round up to a tick. */
export const HZ = 250;

/** A sysctl dpsim models: its value as /proc shows it, and a write that answers false for EINVAL. */
export interface SysctlBinding {
  read(): number;
  write(value: number): boolean;
}

/**
 * What a key names in a namespace: a modelled setting, a key this kernel has that dpsim does
 * not model, or nothing (sysctl's "cannot stat").
 */
export type SysctlLookup = { kind: 'modelled'; binding: SysctlBinding } | { kind: 'unmodelled' } | { kind: 'directory' } | { kind: 'missing' };

/** Resolves a dotted key's components in a namespace, or returns null when the key is not its business. */
export type SysctlResolver = (ns: NetNamespace, parts: readonly string[]) => SysctlLookup | null;

const resolvers: SysctlResolver[] = [];

/** Lets a higher layer model more keys (net.bridge.*, net.netfilter.*); later resolvers are asked first. */
export function registerSysctlResolver(resolver: SysctlResolver): void {
  resolvers.unshift(resolver);
}

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;

/** Parses a value as proc_dointvec does; null when the kernel answers EINVAL. */
export function parseProcInt(text: string): number | null {
  const m = /^[ \t\n]*(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(?:[ \t\n].*)?$/s.exec(text);
  if (m === null) return null;
  const digits = m[2]!;
  const value = digits.startsWith('0x') || digits.startsWith('0X') ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits[0] === '0' ? parseInt(digits, 8) : parseInt(digits, 10);
  return m[1] === '-' ? -value : value;
}

/** A setting stored in a number field, with the range the kernel's handler enforces. */
function field<T>(obj: T, key: keyof T & string, min: number, max: number, onChange?: (old: number, value: number) => void): SysctlBinding {
  const rec = obj as Record<string, number>;
  return {
    read: () => rec[key]!,
    write: (value) => {
      if (value < min || value > max) return false;
      const old = rec[key]!;
      rec[key] = value;
      onChange?.(old, value);
      return true;
    },
  };
}

/** A millisecond setting the kernel keeps in jiffies (proc_dointvec_ms_jiffies): it reads back rounded up to a tick. */
function msJiffiesField<T>(obj: T, key: keyof T & string, min: number): SysctlBinding {
  const rec = obj as Record<string, number>;
  const tick = 1000 / HZ;
  return {
    read: () => rec[key]!,
    write: (value) => {
      if (value < min || !Number.isSafeInteger(value)) return false;
      rec[key] = Math.ceil(value / tick) * tick;
      return true;
    },
  };
}

/** Which InetConf keys were written per device (the kernel's cnf.state bits). */
const explicitlySet = new WeakMap<InetConf, Set<string>>();

function markSet(conf: InetConf, key: string): void {
  let s = explicitlySet.get(conf);
  if (s === undefined) {
    s = new Set();
    explicitlySet.set(conf, s);
  }
  s.add(key);
}

/** inet_forward_change: all.forwarding changed. */
function forwardChange(ns: NetNamespace): void {
  ns.forwardChange();
  for (const dev of ns.deviceList()) markSet(dev.conf, 'forwarding');
}

/** net.ipv4.conf.{all,default,DEV}.KEY */
function inetConfBinding(ns: NetNamespace, which: 'all' | 'default' | 'dev', conf: InetConf, key: InetConfKey): SysctlBinding {
  if (key === 'forwarding') {
    return field(conf, key, INT_MIN, INT_MAX, (old, value) => {
      if (which === 'all' && old !== value) forwardChange(ns);
    });
  }
  const plain = field(conf, key, INT_MIN, INT_MAX);
  return {
    read: plain.read,
    write: (value) => {
      if (!plain.write(value)) return false;
      markSet(conf, key);
      if (which === 'default')
        for (const dev of ns.deviceList()) if (explicitlySet.get(dev.conf)?.has(key) !== true) dev.conf[key] = value;
      return true;
    },
  };
}

/** Keys of this kernel's net.ipv4.conf.DEV that dpsim does not model. */
const UNMODELLED_CONF_KEYS = new Set([
  'accept_source_route', 'arp_evict_nocarrier', 'arp_filter', 'arp_notify', 'bc_forwarding', 'bootp_relay', 'disable_policy',
  'disable_xfrm', 'drop_gratuitous_arp', 'drop_unicast_in_l2_multicast', 'force_igmp_version', 'igmpv2_unsolicited_report_interval',
  'igmpv3_unsolicited_report_interval', 'ignore_routes_with_linkdown', 'log_martians', 'mc_forwarding', 'medium_id',
  'promote_secondaries', 'proxy_arp_pvlan', 'secure_redirects', 'shared_media', 'src_valid_mark', 'tag',
]);

/** Keys of this kernel's net.ipv4.neigh.DEV that dpsim does not model (base_reachable_time and retrans_time are the old-unit twins). */
const UNMODELLED_NEIGH_KEYS = new Set([
  'anycast_delay', 'base_reachable_time', 'interval_probe_time_ms', 'locktime', 'proxy_delay', 'proxy_qlen', 'retrans_time', 'unres_qlen',
]);

/** Keys directly under net.ipv4 that this kernel has in a non-initial namespace and dpsim does not model. */
const UNMODELLED_IPV4_KEYS = new Set([
  'fib_multipath_hash_fields', 'fib_multipath_hash_policy', 'fib_multipath_hash_seed', 'fib_multipath_use_neigh',
  'fib_notify_on_flag_change', 'fwmark_reflect', 'icmp_echo_enable_probe', 'icmp_echo_ignore_broadcasts',
  'icmp_ignore_bogus_error_responses', 'igmp_link_local_mcast_reports', 'igmp_max_memberships', 'igmp_max_msf', 'igmp_qrv',
  'ip_autobind_reuse', 'ip_dynaddr', 'ip_early_demux', 'ip_forward_update_priority', 'ip_forward_use_pmtu', 'ip_local_port_range',
  'ip_local_reserved_ports', 'ip_nonlocal_bind', 'ip_unprivileged_port_start', 'ipfrag_high_thresh', 'ipfrag_low_thresh',
  'ipfrag_max_dist', 'ipfrag_time', 'nexthop_compat_mode', 'ping_group_range', 'raw_l3mdev_accept', 'xfrm4_gc_thresh',
  'udp_child_hash_entries', 'udp_early_demux', 'udp_hash_entries', 'udp_l3mdev_accept', 'udp_rmem_min', 'udp_wmem_min',
]);

/** Top-level /proc/sys directories and net.* subtrees this kernel has; a key under them that nothing models is real but unmodelled. */
const REAL_TREES = new Set(['abi', 'crypto', 'debug', 'dev', 'fs', 'kernel', 'sunrpc', 'user', 'vm']);
const REAL_NET_TREES = new Set(['bridge', 'core', 'ipv6', 'mptcp', 'netfilter', 'unix']);

function modelled(binding: SysctlBinding): SysctlLookup {
  return { kind: 'modelled', binding };
}

/** The built-in keys: net.ipv4.* of InetConf, NeighParms and Ipv4Sysctls. */
function resolveIpv4(ns: NetNamespace, parts: readonly string[]): SysctlLookup | null {
  if (parts[0] !== 'net' || parts[1] !== 'ipv4') return null;
  const rest = parts.slice(2);
  if (rest.length === 0) return { kind: 'directory' };
  if (rest.length === 1) return ['conf', 'neigh', 'route'].includes(rest[0]!) ? { kind: 'directory' } : ipv4Key(ns, rest[0]!);
  if (rest.length === 2 && (rest[0] === 'conf' || rest[0] === 'neigh')) {
    const owner = rest[1]!;
    const exists = ns.device(owner) !== undefined || (rest[0] === 'conf' && (owner === 'all' || owner === 'default'));
    return exists ? { kind: 'directory' } : { kind: 'missing' };
  }
  if (rest[0] === 'conf' && rest.length === 3) {
    const [, owner, key] = rest as [string, string, string];
    let conf: InetConf;
    let which: 'all' | 'default' | 'dev' = 'dev';
    if (owner === 'all') {
      conf = ns.confAll;
      which = 'all';
    } else if (owner === 'default') {
      conf = ns.confDefault;
      which = 'default';
    } else {
      const dev = ns.device(owner);
      if (dev === undefined) return { kind: 'missing' };
      conf = dev.conf;
    }
    if ((INET_CONF_KEYS as readonly string[]).includes(key)) return modelled(inetConfBinding(ns, which, conf, key as InetConfKey));
    return UNMODELLED_CONF_KEYS.has(key) ? { kind: 'unmodelled' } : { kind: 'missing' };
  }
  if (rest[0] === 'neigh' && rest.length === 3) {
    const [, owner, key] = rest as [string, string, string];
    const dev = ns.device(owner);
    if (dev === undefined) return { kind: 'missing' }; // no neigh/default outside the initial namespace
    if ((NEIGH_PARM_KEYS as readonly string[]).includes(key)) return modelled(neighBinding(ns, dev, key as NeighParmKey));
    return UNMODELLED_NEIGH_KEYS.has(key) ? { kind: 'unmodelled' } : { kind: 'missing' };
  }
  if (rest[0] === 'route' && rest.length === 2) {
    // dpsim has no route cache: flushing it changes nothing (write-only in the kernel too).
    if (rest[1] === 'flush') return modelled({ read: () => NaN, write: () => true });
    return ['min_adv_mss', 'min_pmtu', 'mtu_expires'].includes(rest[1]!) ? { kind: 'unmodelled' } : { kind: 'missing' };
  }
  return { kind: 'missing' };
}

function ipv4Key(ns: NetNamespace, key: string): SysctlLookup {
  const s = ns.ipv4Sysctls;
  switch (key) {
    case 'ip_forward':
      return modelled(inetConfBinding(ns, 'all', ns.confAll, 'forwarding'));
    case 'ip_default_ttl':
      return modelled(field(s, key, 1, 255));
    case 'icmp_ratelimit':
      return modelled(msJiffiesField(s, key, 0));
    case 'icmp_ratemask':
      return modelled(field(s, key, INT_MIN, INT_MAX));
    case 'icmp_msgs_per_sec':
    case 'icmp_msgs_burst':
      return modelled(field(s, key, 0, INT_MAX));
    case 'icmp_echo_ignore_all':
    case 'icmp_errors_use_inbound_ifaddr':
      return modelled(field(s, key, 0, 1));
    case 'ip_no_pmtu_disc':
      return modelled(field(s, key, 0, 255));
  }
  if (key.startsWith('tcp_') || UNMODELLED_IPV4_KEYS.has(key)) return { kind: 'unmodelled' };
  return { kind: 'missing' };
}

/** net.ipv4.neigh.DEV.KEY: the device gets its own parameters on its first write. */
function neighBinding(ns: NetNamespace, dev: NetDevice, key: NeighParmKey): SysctlBinding {
  const own = (): NeighParms => {
    let p = ns.neigh.devParms.get(dev);
    if (p === undefined) {
      p = ns.neigh.parms(dev).clone();
      ns.neigh.devParms.set(dev, p);
    }
    return p;
  };
  const read = (): number => ns.neigh.parms(dev)[key];
  let make: (p: NeighParms) => SysctlBinding;
  if (key === 'base_reachable_time_ms' || key === 'retrans_time_ms') make = (p) => msJiffiesField(p, key, 0);
  else if (key === 'delay_first_probe_time' || key === 'gc_stale_time') make = (p) => field(p, key, INT_MIN, INT_MAX);
  else make = (p) => field(p, key, 0, INT_MAX);
  return { read, write: (value) => make(own()).write(value) };
}

resolvers.push(resolveIpv4);

/** What a dotted key names in `ns`. */
export function lookupSysctl(ns: NetNamespace, name: string): SysctlLookup {
  const parts = name.split('.');
  for (const r of resolvers) {
    const found = r(ns, parts);
    if (found !== null) return found;
  }
  if (parts.length === 1 && (REAL_TREES.has(parts[0]!) || parts[0] === 'net')) return { kind: 'directory' };
  if (parts.length > 1 && (REAL_TREES.has(parts[0]!) || (parts[0] === 'net' && REAL_NET_TREES.has(parts[1]!)))) return { kind: 'unmodelled' };
  return { kind: 'missing' };
}

interface SysctlFlags {
  write: boolean;
  quiet: boolean;
  valuesOnly: boolean;
  namesOnly: boolean;
  ignoreUnknown: boolean;
}

/** Options of procps sysctl that change nothing dpsim models or read files: refused. */
const UNSUPPORTED_SHORT = new Set(['a', 'A', 'X', 'b', 'p', 'r', 'h', 'V', 'd', 'f']);
const LONG_OPTIONS: ReadonlyMap<string, keyof SysctlFlags | null> = new Map([
  ['--write', 'write'],
  ['--quiet', 'quiet'],
  ['--values', 'valuesOnly'],
  ['--names', 'namesOnly'],
  ['--ignore', 'ignoreUnknown'],
  ['--all', null],
  ['--binary', null],
  ['--load', null],
  ['--system', null],
  ['--pattern', null],
  ['--help', null],
  ['--version', null],
]);

/** `sysctl [-n] [-e] [-N] [-q] [-w] KEY[=VALUE]…` */
export const sysctlCommand: CommandHandler = (ctx: ScriptContext, argv: string[], cmd: Command) => {
  const flags: SysctlFlags = { write: false, quiet: false, valuesOnly: false, namesOnly: false, ignoreUnknown: false };
  const args: string[] = [];
  function refuse(opt: string): never {
    throw new ScriptError(ctx.file, cmd.line, `sysctl option "${opt}" is not supported by dpsim`);
  }
  let options = true;
  for (const a of argv.slice(1)) {
    if (!options || !a.startsWith('-') || a === '-') {
      args.push(a);
    } else if (a === '--') {
      options = false;
    } else if (a.startsWith('--')) {
      const name = a.split('=')[0]!;
      const flag = LONG_OPTIONS.get(name);
      if (flag === undefined || flag === null) refuse(a);
      flags[flag] = true;
    } else {
      for (const c of a.slice(1)) {
        if (c === 'w') flags.write = true;
        else if (c === 'q') flags.quiet = true;
        else if (c === 'n') flags.valuesOnly = true;
        else if (c === 'N') flags.namesOnly = true;
        else if (c === 'e') flags.ignoreUnknown = true;
        else if (c === 'o' || c === 'x') continue; // BSD compatibility: do nothing in procps either
        else if (UNSUPPORTED_SHORT.has(c)) refuse(`-${c}`);
        else refuse(a);
      }
    }
  }
  if (argv.length === 1) {
    ctx.out(USAGE);
    return;
  }
  if (args.length === 0) {
    ctx.out("sysctl: no variables specified\nTry `sysctl --help' for more information.\n");
    return;
  }
  for (const a of args) {
    if (flags.write || a.includes('=')) writeSetting(ctx, cmd, a, flags);
    else readSetting(ctx, cmd, a, flags);
  }
};

/** Whether a missing key goes through an existing key as if it were a directory (`net.ipv4.ip_forward.x`). */
function underALeaf(ns: NetNamespace, name: string): boolean {
  const parts = name.split('.');
  for (let n = parts.length - 1; n > 0; n--) {
    const kind = lookupSysctl(ns, parts.slice(0, n).join('.')).kind;
    if (kind === 'modelled' || kind === 'unmodelled') return true;
  }
  return false;
}

/** What procps-ng 4.0.2's sysctl prints when run without arguments. */
const USAGE = `
Usage:
 sysctl [options] [variable[=value] ...]

Options:
  -a, --all            display all variables
  -A                   alias of -a
  -X                   alias of -a
      --deprecated     include deprecated parameters to listing
      --dry-run        Print the key and values but do not write
  -b, --binary         print value without new line
  -e, --ignore         ignore unknown variables errors
  -N, --names          print variable names without values
  -n, --values         print only values of the given variable(s)
  -p, --load[=<file>]  read values from file
  -f                   alias of -p
      --system         read values from all system directories
  -r, --pattern <expression>
                       select setting that match expression
  -q, --quiet          do not echo variable set
  -w, --write          enable writing a value to variable
  -o                   does nothing
  -x                   does nothing
  -d                   alias of -h

 -h, --help     display this help and exit
 -V, --version  output version information and exit

For more details see sysctl(8).
`;

/** A key as typed → its dotted name and /proc/sys path (`net/ipv4/ip_forward` and `net.ipv4.ip_forward` are the same key). */
function normalizeKey(key: string): { name: string; path: string } {
  const k = key.replace(/^\/+/, '');
  if (k.includes('/')) return { name: k.replace(/\//g, '.'), path: `/proc/sys/${k}` };
  return { name: k, path: `/proc/sys/${k.replace(/\./g, '/')}` };
}

function lookupOrReport(ctx: ScriptContext, cmd: Command, key: string, flags: SysctlFlags): { name: string; binding: SysctlBinding } | null {
  const { name, path } = normalizeKey(key);
  const found = lookupSysctl(ctx.ns, name);
  if (found.kind === 'modelled') return { name, binding: found.binding };
  if (found.kind === 'unmodelled') throw new ScriptError(ctx.file, cmd.line, `sysctl key "${name}" exists in the kernel but is not modelled by dpsim`);
  if (found.kind === 'directory') throw new ScriptError(ctx.file, cmd.line, `sysctl "${name}" names a directory; listing or writing directories is not modelled by dpsim`);
  if (!flags.ignoreUnknown) ctx.out(`sysctl: cannot stat ${path}: ${underALeaf(ctx.ns, name) ? 'Not a directory' : 'No such file or directory'}\n`);
  return null;
}

function readSetting(ctx: ScriptContext, cmd: Command, key: string, flags: SysctlFlags): void {
  const found = lookupOrReport(ctx, cmd, key, flags);
  if (found === null) return;
  const value = found.binding.read();
  if (Number.isNaN(value)) return; // write-only
  if (flags.namesOnly) ctx.out(`${found.name}\n`);
  else if (flags.valuesOnly) ctx.out(`${value}\n`);
  else ctx.out(`${found.name} = ${value}\n`);
}

function writeSetting(ctx: ScriptContext, cmd: Command, arg: string, flags: SysctlFlags): void {
  const eq = arg.indexOf('=');
  if (eq < 0) {
    ctx.out('sysctl: command line(0): invalid syntax, continuing...\n');
    return;
  }
  const key = arg.slice(0, eq).trim();
  const text = arg.slice(eq + 1).trim();
  if (key === '') {
    ctx.out('sysctl: Path is not under /proc/sys/: /proc/sys/\n');
    return;
  }
  const found = lookupOrReport(ctx, cmd, key, flags);
  if (found === null) return;
  const value = parseProcInt(text);
  if (value === null || !found.binding.write(value)) {
    ctx.out(`sysctl: setting key "${found.name}": Invalid argument\n`);
    return;
  }
  if (flags.quiet) return;
  if (flags.valuesOnly || flags.namesOnly) ctx.out(`${text}\n`);
  else ctx.out(`${found.name} = ${text}\n`);
}
