import type { LabelSelector } from './types.js';

/** Whether a map-style selector (a Service's spec.selector) matches `labels`; an empty selector matches nothing, as for Services. */
export function selectorMapMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined) return false;
  let any = false;
  for (const key in selector) {
    any = true;
    if (labels === undefined || labels[key] !== selector[key]) return false;
  }
  return any;
}

/** Whether a LabelSelector (apps/v1 spec.selector) matches `labels`; an empty selector matches everything, as metav1 defines. */
export function labelSelectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const key in selector.matchLabels ?? {}) {
    if (l[key] !== selector.matchLabels![key]) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    switch (req.operator) {
      case 'In':
        if (!has || !(req.values ?? []).includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (has && (req.values ?? []).includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Labels as `labels.FormatLabels` prints them: `k=v,k2=v2` sorted by key, or `<none>`. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/** A LabelSelector as metav1.FormatLabelSelector prints it (`a=b,c in (x,y)`), `<none>` when empty. */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (selector === undefined) return '<none>';
  const parts: string[] = [];
  for (const k of Object.keys(selector.matchLabels ?? {}).sort()) parts.push(`${k}=${selector.matchLabels![k]}`);
  for (const r of selector.matchExpressions ?? []) {
    const values = [...(r.values ?? [])].sort().join(',');
    switch (r.operator) {
      case 'In': parts.push(`${r.key} in (${values})`); break;
      case 'NotIn': parts.push(`${r.key} notin (${values})`); break;
      case 'Exists': parts.push(r.key); break;
      case 'DoesNotExist': parts.push(`!${r.key}`); break;
    }
  }
  return parts.length === 0 ? '<none>' : parts.join(',');
}
