/** One `bridge` command at work: the namespace it acts on and where its text goes. */
import type { NetNamespace } from '../../netns/namespace.js';

/** The namespace a `bridge` invocation acts on (`-n NS` changes it) and its output. */
export interface BridgeCall {
  ns: NetNamespace;
  /** Appends what the tool printed (stdout and stderr as the harness's pipe shows them). */
  out(text: string): void;
}
