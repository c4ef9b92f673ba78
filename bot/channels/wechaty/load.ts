// Wechaty is an optional install (README, "Wechaty"): it and its puppets are devDependencies, so
// `npm ci --omit=dev` leaves them out. This is the one place that loads them, at run time and only when
// the channel is asked for; every other file imports their types only (test/architecture.test.ts).
import { readFileSync } from 'node:fs';
import type { ChannelHealth } from '../channel.ts';

export type WechatyModule = typeof import('wechaty');

/** The versions package.json names, without the range sign: what the install line asks for. */
function pinned(name: string): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    const range: unknown = manifest.devDependencies?.[name] ?? manifest.dependencies?.[name];
    return typeof range === 'string' ? `${name}@${range.replace(/^[\^~]/, '')}` : name;
  } catch {
    return name;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * The line `/healthz` and the log give when the packages are not there. `--save-prod` keeps `--omit=dev`
 * from leaving out the very packages named (they are devDependencies); `--no-save` leaves package.json.
 */
export function notInstalled(puppet: string | undefined): ChannelHealth {
  const packages = ['wechaty', ...(puppet?.startsWith('wechaty-puppet') ? [puppet] : [])];
  const command = `npm install --no-save --save-prod --omit=dev ${packages.map(pinned).join(' ')}`;
  return {
    ok: false,
    state: 'not-installed',
    message: `Wechaty 未安装：${command}（其他渠道照常工作）/ Wechaty is not installed: ${command} (the other channels work)`,
  };
}

/**
 * Wechaty, and the puppet named by WECHATY_PUPPET when it is a package, imported now; or why not. A
 * puppet that is missing fails here, not later inside `bot.start()`.
 */
export async function loadWechaty(
  puppet: string | undefined,
): Promise<{ ok: true; wechaty: WechatyModule } | { ok: false; health: ChannelHealth }> {
  try {
    const wechaty = await import('wechaty');
    if (puppet && /^(@[\w.-]+\/)?[\w.-]+$/.test(puppet)) await import(puppet);
    return { ok: true, wechaty };
  } catch (error) {
    if (isMissing(error)) return { ok: false, health: notInstalled(puppet) };
    const reason = error instanceof Error ? error.message : String(error);
    const message = `Wechaty 无法载入：${reason} / Wechaty could not be loaded: ${reason}`;
    return { ok: false, health: { ok: false, state: 'load-failed', message } };
  }
}
