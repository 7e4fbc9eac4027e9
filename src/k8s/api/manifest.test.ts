import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifests } from './manifest.js';
import type { Deployment, Service } from './types.js';

const svc = (spec: string, meta = 'name: web'): string => `apiVersion: v1\nkind: Service\nmetadata:\n  ${meta}\nspec:\n${spec}`;
const deploy = (body: string): string => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n${body}`;
const TEMPLATE = `  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n`;

function error(text: string, options = {}): string {
  try {
    parseManifests(text, 'm.yaml', options);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('parseManifests: defaults', () => {
  it('fills in the API server defaults for a Service', () => {
    const [s] = parseManifests(svc('  selector: {app: web}\n  ports:\n  - port: 80\n'), 'm.yaml') as Service[];
    expect(s!.metadata.namespace).toBe('default');
    expect(s!.spec).toEqual({ type: 'ClusterIP', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], sessionAffinity: 'None', internalTrafficPolicy: 'Cluster' });
    const [np] = parseManifests(svc('  type: NodePort\n  sessionAffinity: ClientIP\n  ports:\n  - port: 80\n    targetPort: http\n    protocol: UDP\n'), 'm.yaml') as Service[];
    expect(np!.spec.externalTrafficPolicy).toBe('Cluster');
    expect(np!.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    expect(np!.spec.ports![0]).toEqual({ port: 80, targetPort: 'http', protocol: 'UDP' });
  });

  it('defaults replicas, protocols, grace period; reads multi-document files and Lists', () => {
    const text = `${deploy(TEMPLATE)}---\n# comment only\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: shop}\n`;
    const [d, ns] = parseManifests(text, 'm.yaml') as [Deployment, { kind: string }];
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    expect(ns.kind).toBe('Namespace');
  });
});

describe('parseManifests: errors name file, line and field', () => {
  const cases: [string, string, string][] = [
    ['port out of range', svc('  ports:\n  - port: 70000\n'), 'm.yaml:7: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    ['missing port', svc('  ports:\n  - name: x\n'), 'm.yaml:7: spec.ports[0].port: Required value'],
    ['protocol', svc('  ports:\n  - port: 80\n    protocol: ICMP\n'), 'm.yaml:8: spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    ['nodePort range', svc('  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 80\n'), 'm.yaml:9: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767'],
    ['nodePort on ClusterIP', svc('  ports:\n  - port: 80\n    nodePort: 30001\n'), "m.yaml:8: spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ['duplicate nodePort', svc('  type: NodePort\n  ports:\n  - {name: a, port: 80, nodePort: 30001}\n  - {name: b, port: 81, nodePort: 30001}\n'), 'm.yaml:9: spec.ports[1].nodePort: Duplicate value: 30001'],
    ['clusterIP outside CIDR', svc('  clusterIP: 10.0.0.1\n  ports:\n  - port: 80\n'), 'm.yaml:6: spec.clusterIPs: Invalid value: ["10.0.0.1"]: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12'],
    ['clusterIP not an IP', svc('  clusterIP: 10.0.0.300\n  ports:\n  - port: 80\n'), 'm.yaml:6: spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    ['headless NodePort', svc('  type: NodePort\n  clusterIP: None\n  ports:\n  - port: 80\n'), "m.yaml:7: spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"],
    ['bad targetPort name', svc('  ports:\n  - port: 80\n    targetPort: Http_Port\n'), 'm.yaml:8: spec.ports[0].targetPort: Invalid value: "Http_Port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
    ['targetPort name without letters', svc('  ports:\n  - port: 80\n    targetPort: "8-0"\n'), 'm.yaml:8: spec.ports[0].targetPort: Invalid value: "8-0": must contain at least one letter (a-z)'],
    ['targetPort number', svc('  ports:\n  - port: 80\n    targetPort: 0x10000\n'), 'm.yaml:8: spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535, inclusive'],
    ['duplicate port names', svc('  ports:\n  - {name: http, port: 80}\n  - {name: http, port: 81}\n'), 'm.yaml:8: spec.ports[1].name: Duplicate value: "http"'],
    ['unnamed second port', svc('  ports:\n  - {name: http, port: 80}\n  - {port: 81}\n'), 'm.yaml:8: spec.ports[1].name: Required value'],
    ['no ports', svc('  selector: {app: web}\n'), 'm.yaml:5: spec.ports: Required value'],
    ['traffic policy on ClusterIP', svc('  externalTrafficPolicy: Local\n  ports:\n  - port: 80\n'), 'm.yaml:6: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
    ['traffic policy value', svc('  type: NodePort\n  externalTrafficPolicy: Nearest\n  ports:\n  - port: 80\n'), 'm.yaml:7: spec.externalTrafficPolicy: Unsupported value: "Nearest": supported values: "Cluster", "Local"'],
    ['affinity timeout', svc('  sessionAffinity: ClientIP\n  sessionAffinityConfig:\n    clientIP:\n      timeoutSeconds: 0\n  ports:\n  - port: 80\n'), 'm.yaml:9: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400'],
    ['service type', svc('  type: Internal\n  ports:\n  - port: 80\n'), 'm.yaml:6: spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    ['service name', svc('  ports:\n  - port: 80\n', 'name: 1web'), "m.yaml:4: metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
    ['namespace name', svc('  ports:\n  - port: 80\n', 'name: web\n  namespace: Shop'), "m.yaml:5: metadata.namespace: Invalid value: \"Shop\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"],
    ['selector label value', svc('  selector: {app: "-web"}\n  ports:\n  - port: 80\n'), "m.yaml:6: spec.selector: Invalid value: \"-web\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
    ['unknown field', svc('  ports:\n  - port: 80\n    targetport: 8080\n'), 'm.yaml:8: spec.ports[0].targetport: unknown field "spec.ports[0].targetport"'],
    ['unknown kind', 'apiVersion: apps/v1\nkind: Deploymnt\nmetadata: {name: x}\n', 'm.yaml:2: kind: no matches for kind "Deploymnt" in version "apps/v1"'],
    ['wrong apiVersion', 'apiVersion: v1\nkind: Deployment\nmetadata: {name: x}\n', 'm.yaml:1: apiVersion: no matches for kind "Deployment" in version "v1"'],
    ['missing name', 'apiVersion: v1\nkind: Namespace\nmetadata: {}\n', 'm.yaml:3: metadata.name: Required value: name or generateName is required'],
    ['empty selector', deploy('  selector: {}\n  template:\n    spec:\n      containers: [{name: a}]\n'), 'm.yaml:6: spec.selector: Invalid value: {}: empty selector is invalid for deployment'],
    ['selector mismatch', deploy('  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers: [{name: a}]\n'), 'm.yaml:10: spec.template.metadata.labels: Invalid value: {"app":"api"}: `selector` does not match template `labels`'],
    ['negative replicas', deploy(`  replicas: -1\n${TEMPLATE}`), 'm.yaml:6: spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
    ['container port', deploy(`${TEMPLATE}        ports:\n        - containerPort: 0\n`), 'm.yaml:16: spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ['container port name', deploy(`${TEMPLATE}        ports:\n        - {containerPort: 80, name: web--http}\n`), 'm.yaml:16: spec.template.spec.containers[0].ports[0].name: Invalid value: "web--http": must not contain consecutive hyphens'],
    ['restartPolicy in template', deploy(`${TEMPLATE}      restartPolicy: Never\n`), 'm.yaml:15: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
    ['placement', deploy(TEMPLATE).replace('  name: web\n', '  name: web\n  annotations: {dpsim.io/placement: "worker1/10.244.1.300"}\n'), 'm.yaml:5: metadata.annotations[dpsim.io/placement]: Invalid value: "worker1/10.244.1.300": "10.244.1.300" is not an IPv4 address'],
    ['yaml syntax', 'apiVersion: v1\nkind: [Namespace\n', 'm.yaml:3: yaml: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ['list item', 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n  spec:\n    ports: [{port: 0}]\n', 'm.yaml:8: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
  ];
  for (const [what, text, message] of cases) {
    it(what, () => expect(error(text, { serviceCIDR: '10.96.0.0/12' })).toBe(message));
  }
});
