// `.env.example` is the operator's list of settings: it names exactly the variables bot/env.ts reads,
// each with its meaning, and holds no secret.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARIABLES, parseConfig } from '../bot/env.ts';

const root = new URL('../', import.meta.url);
const text = readFileSync(new URL('.env.example', root), 'utf8');
const lines = text.split('\n');
const VARIABLE = /^#?([A-Z][A-Z0-9_]*)=(.*)$/;
const entries = lines.flatMap((line, index) => {
  const match = VARIABLE.exec(line);
  return match ? [{ name: match[1]!, value: match[2]!, index, active: !line.startsWith('#') }] : [];
});
const SECRET = /SECRET|TOKEN|ENCRYPT_KEY|AES_KEY|ACCESS_KEY_ID|DATABASE_URL/;

/** The variables whose problems parseConfig reports, from its message. */
function complaints(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [...error.message.matchAll(/^ {2}([A-Z0-9_]+):/gm)].map((match) => match[1]!);
  }
}

describe('.env.example', () => {
  it('names every variable bot/env.ts reads, once each, and no other', () => {
    const names = entries.map((entry) => entry.name);
    expect(new Set(names).size, `named twice: ${names.filter((n, i) => names.indexOf(n) !== i)}`).toBe(
      names.length,
    );
    expect([...names].sort()).toEqual([...ENV_VARIABLES].sort());
  });

  it('says what each variable means in a comment above it', () => {
    for (const entry of entries) {
      let above = entry.index - 1;
      while (above >= 0 && VARIABLE.test(lines[above]!)) above--;
      expect(lines[above], `${entry.name} has no comment above it`).toMatch(/^# \S/);
    }
  });

  it('holds no secret and sets nothing: as shipped it is the defaults (demo mode)', () => {
    expect(entries.filter((entry) => entry.active).map((entry) => entry.name)).toEqual([]);
    for (const entry of entries.filter((entry) => SECRET.test(entry.name))) {
      expect(entry.value, `${entry.name} has a value`).toBe('');
    }
    expect(parseEnv(text)).toEqual({});
  });

  it('gives example values bot/env.ts accepts', () => {
    for (const { name, value } of entries.filter((entry) => entry.value !== '')) {
      expect(complaints({ [name]: value }), `${name}=${value}`).not.toContain(name);
    }
  });

  it('is not hidden by .gitignore, which hides the filled-in copies', () => {
    const ignore = readFileSync(new URL('.gitignore', root), 'utf8').split('\n');
    expect(ignore).toContain('.env');
    expect(ignore.indexOf('!.env.example')).toBeGreaterThan(ignore.indexOf('.env.*'));
  });
});
