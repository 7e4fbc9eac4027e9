import { describe, expect, test } from 'vitest';
import { Network } from '../netns/network.js';
import { commandHandlers, dispatch, registerCommand } from './commands.js';
import { ScriptError, type Command, type ScriptContext } from './context.js';

function context(net: Network, out: string[]): ScriptContext {
  return {
    net,
    ns: net.root,
    file: 'c.sh',
    out: (text) => out.push(text),
    exec: (ns, argv, cmd) => dispatch({ ...context(net, out), ns }, argv, cmd),
  };
}

const command = (argv: string[], line = 7): Command => ({ argv, line, stdin: null, text: argv.join(' ') });

describe('the command registry', () => {
  test('ip and sysctl are built in, also by their usual paths', () => {
    const out: string[] = [];
    const ctx = context(new Network(), out);
    dispatch(ctx, ['/sbin/ip', 'netns', 'add', 'a'], command(['/sbin/ip']));
    dispatch(ctx, ['ip', 'netns'], command(['ip']));
    dispatch(ctx, ['/usr/sbin/sysctl', 'net.ipv4.ip_forward'], command(['sysctl']));
    expect(out.join('')).toBe('a\nnet.ipv4.ip_forward = 0\n');
    expect([...commandHandlers.keys()]).toEqual(expect.arrayContaining(['ip', 'sysctl']));
  });

  test('an unknown command is a ScriptError naming the line', () => {
    const ctx = context(new Network(), []);
    expect(() => dispatch(ctx, ['ifconfig', 'eth0'], command(['ifconfig', 'eth0'], 12))).toThrow(new ScriptError('c.sh', 12, 'unknown command "ifconfig"'));
    expect(() => dispatch(ctx, ['./ip', 'link'], command(['./ip']))).toThrow('c.sh:7: unknown command "./ip"');
  });

  test('other layers register their commands', () => {
    const seen: string[][] = [];
    registerCommand('probe-test', (_ctx, argv) => seen.push(argv));
    dispatch(context(new Network(), []), ['probe-test', 'x'], command(['probe-test', 'x']));
    expect(seen).toEqual([['probe-test', 'x']]);
    commandHandlers.delete('probe-test');
  });

  test('ip netns exec runs the command through the context in the namespace', () => {
    const out: string[] = [];
    const net = new Network();
    const ctx = context(net, out);
    dispatch(ctx, ['ip', 'netns', 'add', 'a'], command([]));
    dispatch(ctx, ['ip', 'netns', 'exec', 'a', 'sysctl', '-w', 'net.ipv4.ip_forward=1'], command([]));
    expect(net.namespaces.get('a')!.confAll.forwarding).toBe(1);
    expect(net.root.confAll.forwarding).toBe(0);
    expect(out.join('')).toBe('net.ipv4.ip_forward = 1\n');
  });
});
