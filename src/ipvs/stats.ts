/**
 * IPVS counters and the rate estimator (ip_vs_est.c): every 2 s each rate moves a quarter of
 * the way toward the last interval's rate, kept in fixed point (conns and packets scaled by
 * 2^10, bytes by 2^5), and read back rounded: (cps + 0x1FF) >> 10, (bps + 0xF) >> 5.
 */

/** Counters of a service or real server (struct ip_vs_kstats) with their estimator state. */
export class IpvsStats {
  conns = 0;
  inpkts = 0;
  outpkts = 0;
  inbytes = 0;
  outbytes = 0;

  // estimator (struct ip_vs_estimator), scaled
  private lastConns = 0;
  private lastInpkts = 0;
  private lastOutpkts = 0;
  private lastInbytes = 0;
  private lastOutbytes = 0;
  private cpsS = 0;
  private inppsS = 0;
  private outppsS = 0;
  private inbpsS = 0;
  private outbpsS = 0;

  /** One 2-second estimator tick (estimation_timer's per-stats work). */
  estimate(): void {
    this.cpsS += ((this.conns - this.lastConns) * 512 - this.cpsS) / 4;
    this.inppsS += ((this.inpkts - this.lastInpkts) * 512 - this.inppsS) / 4;
    this.outppsS += ((this.outpkts - this.lastOutpkts) * 512 - this.outppsS) / 4;
    this.inbpsS += ((this.inbytes - this.lastInbytes) * 16 - this.inbpsS) / 4;
    this.outbpsS += ((this.outbytes - this.lastOutbytes) * 16 - this.outbpsS) / 4;
    // the kernel shifts (>> 2) on signed 64-bit values: floor
    this.cpsS = Math.floor(this.cpsS);
    this.inppsS = Math.floor(this.inppsS);
    this.outppsS = Math.floor(this.outppsS);
    this.inbpsS = Math.floor(this.inbpsS);
    this.outbpsS = Math.floor(this.outbpsS);
    this.lastConns = this.conns;
    this.lastInpkts = this.inpkts;
    this.lastOutpkts = this.outpkts;
    this.lastInbytes = this.inbytes;
    this.lastOutbytes = this.outbytes;
  }

  get cps(): number {
    return Math.max(0, Math.floor((this.cpsS + 0x1ff) / 1024));
  }
  get inpps(): number {
    return Math.max(0, Math.floor((this.inppsS + 0x1ff) / 1024));
  }
  get outpps(): number {
    return Math.max(0, Math.floor((this.outppsS + 0x1ff) / 1024));
  }
  get inbps(): number {
    return Math.max(0, Math.floor((this.inbpsS + 0xf) / 32));
  }
  get outbps(): number {
    return Math.max(0, Math.floor((this.outbpsS + 0xf) / 32));
  }

  /** `ipvsadm -Z`. */
  zero(): void {
    this.conns = this.inpkts = this.outpkts = this.inbytes = this.outbytes = 0;
    this.lastConns = this.lastInpkts = this.lastOutpkts = this.lastInbytes = this.lastOutbytes = 0;
    this.cpsS = this.inppsS = this.outppsS = this.inbpsS = this.outbpsS = 0;
  }
}
