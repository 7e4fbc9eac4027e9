/**
 * The service port view kept between syncs: a snapshot that replaces a few EndpointSlices in
 * place updates the last view instead of rebuilding it, and must give exactly the view a
 * fresh build gives — slices merged in name order (ties in snapshot order), the ready copy of
 * an endpoint winning, skipped objects reported, Services swapped or reordered.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../api/types.js';
import { buildServicePorts, ServicePortCache, type ProxySnapshot } from './service-ports.js';
import { makeService, makeSlice, tcpPort } from './testing.js';

const POSITIONS = 6;
const VARIANTS = 4;

/** Slice variant `v` at snapshot place `p`: overlapping endpoints, mixed readiness and nodes, one or two ports, some skipped. */
function sliceVariant(p: number, v: number): EndpointSlice {
  const svc = `s${p % 4}`;
  const endpoints = [];
  for (let e = 0; e <= (p + v) % 3; e++) {
    const ready = (v + e) % 3 !== 0;
    endpoints.push({
      addresses: [v === 3 && p % 2 === 0 && e === 0 ? `fd00::${p}` : `10.0.${p % 4}.${(v + e) % 4}`],
      nodeName: (p + e) % 2 === 0 ? 'n1' : 'n2',
      conditions: { ready, serving: ready || e % 2 === 0, terminating: !ready },
    });
  }
  const ports = v % 2 === 1 ? [tcpPort('a', 8080)] : [tcpPort('a', 8080), tcpPort('b', 8081)];
  const slice = makeSlice('ns', svc, v % 2, endpoints, ports);
  if (v === 2 && p === 5) return { ...slice, metadata: { ...slice.metadata, labels: {} } }; // no service label: skipped
  return slice;
}

function serviceVariant(i: number, v: number): Service {
  return makeService('ns', `s${i}`, {
    clusterIP: `172.30.${v}.${i + 1}`,
    ports: [
      { name: 'a', port: 80 },
      { name: 'b', port: 81 },
    ],
  });
}

describe('service port view', () => {
  it('property: a view updated from the last sync equals the view built afresh', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            slices: fc.array(fc.integer({ min: 0, max: VARIANTS - 1 }), { minLength: POSITIONS, maxLength: POSITIONS }),
            // Mostly the same Services as the step before (null), so most steps take the update path.
            services: fc.oneof(
              { weight: 4, arbitrary: fc.constant(null) },
              { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 4, maxLength: 4 }) },
            ),
            reverse: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (steps) => {
          // One pool of objects per run: a step reuses the objects of the last one where it picks the same variant.
          const slicePool = Array.from({ length: POSITIONS }, (_, p) => Array.from({ length: VARIANTS }, (_, v) => sliceVariant(p, v)));
          const servicePool = Array.from({ length: 4 }, (_, i) => [serviceVariant(i, 0), serviceVariant(i, 1)]);
          const cache = new ServicePortCache('n1');
          let picked = [0, 0, 0, 0];
          for (const step of steps) {
            if (step.services !== null) picked = step.services;
            const services = picked.map((v, i) => servicePool[i]![v]!);
            const snap: ProxySnapshot = { services: step.reverse ? services.reverse() : services, endpointSlices: step.slices.map((v, p) => slicePool[p]![v]!) };
            expect(buildServicePorts(snap, 'n1', cache)).toEqual(buildServicePorts(snap, 'n1'));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps the view objects of ports whose slices did not change', () => {
    const services = [0, 1].map((i) => serviceVariant(i, 0));
    const slices = [sliceVariant(0, 1), sliceVariant(1, 1)];
    const cache = new ServicePortCache('n1');
    const first = buildServicePorts({ services, endpointSlices: slices }, 'n1', cache);
    const second = buildServicePorts({ services, endpointSlices: [slices[0]!, sliceVariant(1, 3)] }, 'n1', cache);
    const s0a = (v: typeof first) => v.ports.find((p) => p.nameString === 'ns/s0:a')!;
    const s1a = (v: typeof first) => v.ports.find((p) => p.nameString === 'ns/s1:a')!;
    expect(s0a(second)).toBe(s0a(first));
    expect(s1a(second)).not.toBe(s1a(first));
    expect(s1a(second).endpoints.map((e) => e.endpoint)).toEqual(['10.0.1.0:8080', '10.0.1.3:8080']);
  });
});
