import { parseCidr, parseIPv4 } from '../../packet/address.js';

/**
 * The API server's field validation, as messages: the same wording `kubectl apply` reports
 * (`spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`).
 * Each check returns null when the value is valid, or the detail of what is wrong.
 */

/** A value as field.Error prints it: strings quoted, numbers and booleans bare. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}

export const invalid = (value: unknown, detail: string): string => `Invalid value: ${formatValue(value)}: ${detail}`;
export const required = (detail?: string): string => (detail === undefined ? 'Required value' : `Required value: ${detail}`);
export const duplicate = (value: unknown): string => `Duplicate value: ${formatValue(value)}`;
export const forbidden = (detail: string): string => `Forbidden: ${detail}`;
export const unsupported = (value: unknown, supported: readonly string[]): string =>
  `Unsupported value: ${formatValue(value)}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SVC_NAME_CHARS = /^[-a-z0-9]+$/;
const IANA_SVC_NAME_LETTER = /[a-z]/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** IsDNS1123Label: namespaces, service port names. */
export function checkDns1123Label(value: string): string | null {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!DNS1123_LABEL.test(value)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return null;
}

/** IsDNS1123Subdomain: names of pods, nodes, deployments, replica sets, daemon sets, endpoint slices. */
export function checkDns1123Subdomain(value: string): string | null {
  if (value.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return null;
}

/** IsDNS1035Label: service names. */
export function checkDns1035Label(value: string): string | null {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!DNS1035_LABEL.test(value)) {
    return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  }
  return null;
}

/** IsValidPortName (IANA_SVC_NAME): container port names and named target ports. */
export function checkPortName(value: string): string | null {
  if (value.length > 15) return 'must be no more than 15 characters';
  if (!IANA_SVC_NAME_CHARS.test(value)) return 'must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)';
  if (!IANA_SVC_NAME_LETTER.test(value)) return 'must contain at least one letter (a-z)';
  if (value.includes('--')) return 'must not contain consecutive hyphens';
  if (value.startsWith('-') || value.endsWith('-')) return 'must not begin or end with a hyphen';
  return null;
}

/** IsValidPortNum. */
export function checkPortNumber(value: number): string | null {
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? null : 'must be between 1 and 65535, inclusive';
}

/** IsValidLabelValue. */
export function checkLabelValue(value: string): string | null {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!LABEL_VALUE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
  }
  return null;
}

/** IsQualifiedName: label and annotation keys (`prefix/name`). */
export function checkQualifiedName(value: string): string | null {
  const parts = value.split('/');
  let name = value;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) return 'prefix part must be non-empty';
    const bad = checkDns1123Subdomain(prefix);
    if (bad !== null) return `prefix part ${bad}`;
  } else if (parts.length > 2) {
    return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!QUALIFIED_NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return null;
}

/** Whether `value` is a dotted-quad IPv4 address without leading zeros. */
export function isIPv4(value: string): boolean {
  return parseIPv4(value) !== null;
}

/** Whether `value` is an IPv4 CIDR `a.b.c.d/n`. */
export function isIPv4Cidr(value: string): boolean {
  return parseCidr(value) !== null;
}
