/**
 * The shape of a `dpsim bench` run: per Service count, iptables mode and IPVS mode side by
 * side, dpsim's own cost and the modelled (and, as root, measured) kernel cost. The JSON that
 * `--json` writes is exactly a BenchReport.
 */

/** What to run. */
export interface BenchOptions {
  /** Service counts, ascending (1,000 / 5,000 / 10,000 / 20,000 by default). */
  readonly services: readonly number[];
  /** Endpoints per Service. */
  readonly endpoints: number;
  /** Nodes the endpoints are spread over (the proxier's node is node-0). */
  readonly nodes: number;
  /** Seconds each rate measurement runs (decisions/s, packets/s). */
  readonly rateSeconds: number;
  /** Measure the real kernel (root, iptables, unshare): restore times and NEW connections/s. */
  readonly kernel: boolean;
  /** NEW connections per measured target in the kernel's connect loop. */
  readonly kernelConnections: number;
  /** Seconds one kernel namespace run may take before it is stopped. */
  readonly kernelTimeoutSeconds: number;
}

/** A rate: how many in how long. */
export interface Rate {
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** The position of a Service in KUBE-SERVICES (the order kube-proxy writes them). */
export type Position = 'first' | 'median' | 'last';

/** One Service position's per-NEW-connection figures. */
export interface PositionFigures {
  readonly position: Position;
  /** Index of the Service (0-based) and its ClusterIP. */
  readonly service: number;
  readonly clusterIP: string;
  /** Rules (iptables) or hash lookups (IPVS) the kernel evaluates for the connection's first packet, mean over the sampled decisions. */
  readonly evaluated: number;
  /** Modelled kernel time of that evaluation (ns), from the calibration. */
  readonly modelledNs: number;
  /** dpsim's decisions per second (compiled evaluator; IPVS: service lookup + scheduler). */
  readonly compiled: Rate;
  /** dpsim's interpreter (iptables only). */
  readonly interpreted: Rate | null;
}

/** A kernel's iptables-restore of the same text, timed in a private namespace. */
export interface KernelRestore {
  readonly flavour: 'nft' | 'legacy';
  readonly seconds: number | null;
  /** Why there is no figure (not root, a tool missing, the restore failed or timed out). */
  readonly note: string;
}

/** NEW connections per second to one Service in the real kernel with the rules loaded. */
export interface KernelConnect {
  readonly flavour: 'nft' | 'legacy';
  readonly position: Position;
  readonly service: number;
  readonly clusterIP: string;
  /** Rules dpsim says the kernel evaluates for this Service (the model's x). */
  readonly evaluated: number;
  readonly connections: number;
  readonly seconds: number;
  /** Mean wall time of one connect + accept + close, µs. */
  readonly perConnectionUs: number;
}

/** iptables mode at one Service count. */
export interface IptablesFigures {
  readonly natRules: number;
  readonly natChains: number;
  readonly filterRules: number;
  readonly restoreBytes: number;
  readonly restoreLines: number;
  /** dpsim: generate the restore text (ms), load it through iptables-restore (ms), compile the nat table (ms). */
  readonly generateMs: number;
  readonly loadMs: number;
  readonly compileMs: number;
  readonly firstSyncMs: number;
  /** Heap retained by the loaded and compiled rules (MiB, after a GC) and the process's peak RSS so far (MiB). */
  readonly heapMiB: number;
  readonly peakRssMiB: number;
  /** A one-endpoint change: partial sync text bytes, generate + load ms. */
  readonly partialBytes: number;
  readonly partialMs: number;
  /** Modelled kernel iptables-restore time of the first sync and of the partial one (s), per flavour. */
  readonly modelRestoreSeconds: { readonly nft: number; readonly legacy: number };
  readonly modelPartialSeconds: { readonly nft: number; readonly legacy: number };
  readonly kernelRestore: readonly KernelRestore[];
  readonly positions: readonly PositionFigures[];
}

/** IPVS mode at one Service count. */
export interface IpvsFigures {
  readonly virtualServices: number;
  readonly realServers: number;
  /** Netlink requests a first sync makes: ClusterIP address adds on kube-ipvs0, IPVS_CMD_NEW_SERVICE, IPVS_CMD_NEW_DEST. */
  readonly netlinkCalls: number;
  /** ipset entries (KUBE-CLUSTER-IP) written with one `ipset restore`. */
  readonly ipsetEntries: number;
  /** dpsim: build the service view and program the IPVS engine (ms). */
  readonly firstSyncMs: number;
  readonly heapMiB: number;
  /** A one-endpoint change: netlink calls and dpsim's time (ms). */
  readonly partialCalls: number;
  readonly partialMs: number;
  /** Modelled kernel time of the first sync's and the change's netlink calls (s). */
  readonly modelProgramSeconds: number;
  readonly modelPartialSeconds: number;
  readonly positions: readonly PositionFigures[];
}

/** One Service count. */
export interface ScalePoint {
  readonly services: number;
  readonly endpoints: number;
  readonly iptables: IptablesFigures;
  readonly ipvs: IpvsFigures;
  readonly kernelConnects: readonly KernelConnect[];
  /** Why kernel connects are missing, when they are. */
  readonly kernelConnectNote: string;
}

/** ns per rule walked and the fixed cost of a connection, fitted to the kernel's connect loop. */
export interface Calibration {
  /** Where the figures come from: "measured" (this run), or "default" (not measured; stated constants). */
  readonly source: 'measured' | 'default';
  readonly flavour: 'nft' | 'legacy';
  readonly nsPerRule: number;
  /** A connection's cost beside the rule walk (µs): stack, sockets, the connect loop. */
  readonly fixedUs: number;
  /** ns per IPVS hash lookup (modelled as one rule's cost). */
  readonly nsPerLookup: number;
  /** Seconds per netlink request (IPVS programming). */
  readonly netlinkCallSeconds: number;
  readonly netlinkSource: string;
  readonly points: number;
  readonly note: string;
}

/** The whole run. */
export interface BenchReport {
  readonly tool: 'dpsim bench';
  readonly date: string;
  readonly machine: { readonly cpus: string; readonly cores: number; readonly memoryGiB: number; readonly kernel: string; readonly node: string; readonly loadAverage: readonly number[] };
  readonly options: BenchOptions;
  readonly calibration: Calibration;
  readonly points: readonly ScalePoint[];
  /** dpsim end to end: packets per second through a two-node path, tracing off. */
  readonly endToEnd: { readonly path: string; readonly rate: Rate };
  /** Targets from issue 8 at the largest Service count, with whether they are met. */
  readonly targets: readonly { readonly name: string; readonly value: string; readonly target: string; readonly met: boolean | null }[];
  readonly notes: readonly string[];
}
