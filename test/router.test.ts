import { describe, expect, it } from 'vitest';
import { createRouter } from '../handlers/index.ts';

describe('the command router', () => {
  const router = createRouter();
  const match = (text: string) => {
    const hit = router.match(text);
    return hit && { command: hit.spec.names[0], args: hit.args };
  };

  it('matches Chinese commands with or without a space, and their /english aliases', () => {
    expect(match('报隐患 三楼灭火器过期')).toEqual({ command: '报隐患', args: '三楼灭火器过期' });
    expect(match('报隐患三楼灭火器过期')).toEqual({ command: '报隐患', args: '三楼灭火器过期' });
    expect(match('报隐患：三楼灭火器过期')).toEqual({ command: '报隐患', args: '三楼灭火器过期' });
    expect(match('/report stairs rail loose')).toEqual({ command: '报隐患', args: 'stairs rail loose' });
    expect(match('/REPORT x')).toEqual({ command: '报隐患', args: 'x' });
    expect(match('帮助')).toEqual({ command: '帮助', args: '' });
    expect(match('/help')).toEqual({ command: '帮助', args: '' });
  });

  it('does not take a longer English word for an alias, nor text that merely contains a command', () => {
    expect(match('/reporting x')).toBeUndefined();
    expect(match('我想报隐患')).toBeUndefined();
    expect(match('')).toBeUndefined();
  });

  it('knows its card actions', () => {
    expect(router.hasAction('hazard.accept')).toBe(true);
    expect(router.hasAction('nope')).toBe(false);
  });
});
