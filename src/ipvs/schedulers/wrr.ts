/**
 * Weighted round robin (ip_vs_wrr.c): a current weight cw that starts at the largest weight
 * (less gcd - 1) and drops by the gcd of all weights each time the walk passes the list head;
 * a server is picked when its weight is at least cw. Over one cycle of sum(w)/gcd picks each
 * server is picked w/gcd times.
 */
import type { RealServer, VirtualService } from '../service.js';
import { gcd, type IpvsScheduler } from './scheduler.js';

function gcdWeight(svc: VirtualService): number {
  let g = 0;
  for (const d of svc.dests) if (d.weight > 0) g = g > 0 ? gcd(d.weight, g) : d.weight;
  return g > 0 ? g : 1;
}

function maxWeight(svc: VirtualService): number {
  let m = 0;
  for (const d of svc.dests) if (d.weight > m) m = d.weight;
  return m;
}

export class WeightedRoundRobin implements IpvsScheduler {
  readonly name = 'wrr';
  /** Index of the current server; -1 is the list head (mark->cl). */
  private cl = -1;
  /** Current weight, maximum weight, gcd (mark->cw, mw, di). */
  private cw: number;
  private mw: number;
  private di: number;

  constructor(svc: VirtualService) {
    this.di = gcdWeight(svc);
    this.mw = maxWeight(svc) - (this.di - 1);
    this.cw = this.mw;
  }

  /** ip_vs_wrr_dest_changed */
  destsChanged(svc: VirtualService): void {
    this.cl = -1;
    this.di = gcdWeight(svc);
    this.mw = maxWeight(svc) - (this.di - 1);
    if (this.cw > this.mw || this.di === 0) this.cw = 0;
    else if (this.di > 1) this.cw = Math.floor(this.cw / this.di) * this.di + 1;
  }

  schedule(svc: VirtualService): RealServer | null {
    const dests = svc.dests;
    const n = dests.length;
    if (this.mw <= 0 || n === 0) return null;
    let d = this.cl;
    const last = this.cl;
    let stop = -2; // none
    let lastPass = false;
    let restarted = false;
    for (;;) {
      for (let i = d + 1; i < n; i++) {
        const dest = dests[i]!;
        if (!dest.overloaded && dest.weight >= this.cw) {
          this.cl = i;
          return dest;
        }
        if (i === stop) return null;
      }
      d = -1;
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        if (lastPass || last === -1) return null;
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      if (lastPass && restarted && last !== -1) stop = last;
    }
  }
}
