// Routes a message to a command handler by its first word, and a button press to its action handler.
// Chinese command words come first; each has an `/english` alias (DESIGN.md §5).
import type { ActionContext, MessageContext } from './context.ts';
import type { ActionResult } from './types.ts';

export type CommandHandler = (ctx: MessageContext) => Promise<void>;
export type ActionHandler = (ctx: ActionContext) => Promise<ActionResult>;

export interface CommandSpec {
  names: string[];
  usage: string;
  summary: string;
  handler: CommandHandler;
}

export class Router {
  readonly commands: CommandSpec[] = [];
  private readonly actions = new Map<string, ActionHandler>();
  private fallbackHandler: CommandHandler = async () => {};
  private attachmentHandler: CommandHandler | undefined;
  private textGuard: ((text: string) => void) | undefined;

  command(spec: CommandSpec): this {
    this.commands.push(spec);
    return this;
  }

  action(name: string, handler: ActionHandler): this {
    this.actions.set(name, handler);
    return this;
  }

  /** Unknown text: never silence (DESIGN.md §5). */
  fallback(handler: CommandHandler): this {
    this.fallbackHandler = handler;
    return this;
  }

  /** A message that carries only photos or files (e.g. the photos that follow a hazard report). */
  attachments(handler: CommandHandler): this {
    this.attachmentHandler = handler;
    return this;
  }

  /** Checked on every message before any handler; throws a Refusal for a text no command takes. */
  guardText(check: (text: string) => void): this {
    this.textGuard = check;
    return this;
  }

  hasAction(name: string): boolean {
    return this.actions.has(name);
  }

  /** Every registered button action's name. */
  actionNames(): string[] {
    return [...this.actions.keys()];
  }

  /** The command a text starts with, and the rest of the text as its arguments. */
  match(text: string): { spec: CommandSpec; args: string } | undefined {
    const trimmed = text.trim();
    let best: { spec: CommandSpec; name: string } | undefined;
    for (const spec of this.commands) {
      for (const name of spec.names) {
        const hit = name.startsWith('/')
          ? trimmed.toLowerCase() === name || trimmed.toLowerCase().startsWith(`${name} `)
          : trimmed.startsWith(name);
        if (hit && (!best || name.length > best.name.length)) best = { spec, name };
      }
    }
    if (!best) return undefined;
    return {
      spec: best.spec,
      args: trimmed
        .slice(best.name.length)
        .replace(/^[\s:：,，]+/, '')
        .trim(),
    };
  }

  async handleMessage(ctx: MessageContext): Promise<void> {
    this.textGuard?.(ctx.event.text);
    const matched = this.match(ctx.event.text);
    if (matched) {
      ctx.args = matched.args;
      return matched.spec.handler(ctx);
    }
    if (ctx.event.text.trim() === '' && ctx.event.attachments.length > 0 && this.attachmentHandler) {
      return this.attachmentHandler(ctx);
    }
    ctx.args = ctx.event.text.trim();
    return this.fallbackHandler(ctx);
  }

  async handleAction(ctx: ActionContext): Promise<ActionResult> {
    const handler = this.actions.get(ctx.event.action);
    if (!handler) return { toast: { kind: 'error', text: '这个按钮已失效，请重新发起。' } };
    return handler(ctx);
  }
}
