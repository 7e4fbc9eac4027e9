import { formatLabels } from '../api/labels.js';
import type { ApiStore } from '../api/store.js';
import { endpointsOf, formatEndpoints, type KubectlOutput } from './get.js';
import { describeWrite } from './tabwriter.js';

/** Annotation lines longer than this are cut and end in "..." (describe's maxAnnotationLen). */
const MAX_ANNOTATION_LEN = 140;

function multiline(title: string, map: Record<string, string> | undefined, cut: boolean): string {
  const keys = Object.keys(map ?? {}).sort();
  if (keys.length === 0) return `${title}:\t<none>\n`;
  return keys.map((k, i) => {
    let line = `${k}=${map![k]}`;
    if (cut && line.length > MAX_ANNOTATION_LEN) line = `${line.slice(0, MAX_ANNOTATION_LEN)}...`;
    return `${i === 0 ? `${title}:` : ''}\t${line}\n`;
  }).join('');
}

/**
 * `kubectl describe svc NAME -n NS`, in the layout of the kubectl the talk used (v1.12: Name,
 * Namespace, Labels, Annotations, Selector, Type, IP, then per port Port/TargetPort/NodePort/
 * Endpoints, Session Affinity, External Traffic Policy, Events), aligned by describe's
 * tabwriter (2-space padding). Endpoints come from the service's EndpointSlices as the
 * Endpoints object would list them (ready addresses, three at most then "+ N more...").
 */
export function kubectlDescribeService(store: ApiStore, namespace: string, name: string): KubectlOutput {
  const svc = store.get('Service', namespace, name);
  if (svc === undefined) return { stdout: '', stderr: `Error from server (NotFound): services "${name}" not found\n` };
  const spec = svc.spec;
  const ep = endpointsOf(store, svc);
  let t = '';
  t += `Name:\t${svc.metadata.name}\n`;
  t += `Namespace:\t${svc.metadata.namespace}\n`;
  t += multiline('Labels', svc.metadata.labels, false);
  t += multiline('Annotations', svc.metadata.annotations, true);
  t += `Selector:\t${formatLabels(spec.selector)}\n`;
  t += `Type:\t${spec.type ?? 'ClusterIP'}\n`;
  t += `IP:\t${spec.clusterIP ?? ''}\n`;
  if ((spec.externalIPs ?? []).length > 0) t += `External IPs:\t${spec.externalIPs!.join(',')}\n`;
  if (spec.externalName) t += `External Name:\t${spec.externalName}\n`;
  const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '');
  if (ingress.length > 0) t += `LoadBalancer Ingress:\t${ingress.join(', ')}\n`;
  for (const p of spec.ports ?? []) {
    const pname = p.name ? p.name : '<unset>';
    const proto = p.protocol ?? 'TCP';
    t += `Port:\t${pname}\t${p.port}/${proto}\n`;
    t += `TargetPort:\t${p.targetPort ?? p.port}/${proto}\n`;
    if (p.nodePort) t += `NodePort:\t${pname}\t${p.nodePort}/${proto}\n`;
    t += `Endpoints:\t${formatEndpoints(ep, new Set([p.name ?? '']))}\n`;
  }
  t += `Session Affinity:\t${spec.sessionAffinity ?? 'None'}\n`;
  if (spec.externalTrafficPolicy) t += `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`;
  if (spec.healthCheckNodePort) t += `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`;
  if ((spec.loadBalancerSourceRanges ?? []).length > 0) t += `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges!.join(',')}\n`;
  t += 'Events:\t<none>\n';
  return { stdout: describeWrite(t), stderr: '' };
}
