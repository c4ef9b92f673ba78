// Form fields several console pages share: a select's choices, the actor of an operation, a member's label.
import { html } from 'hono/html';
import type { Member } from '../../db/queries/people.ts';
import { errorFlash, type Html } from './layout.ts';

/** A choice of a select: its value and what it shows. */
export interface Choice {
  value: string;
  label: string;
}

export const option = (choice: Choice, selected: string) =>
  html`<option value="${choice.value}"${choice.value === selected ? ' selected' : ''}>${choice.label}</option>`;

/** The form's actor: the logged-in office account, or (demo mode) a member to act as. */
export function actorField(field: {
  name: string;
  label: string;
  placeholder: string;
  choices: Choice[];
  selected: string;
  actingAs?: string;
}): Html {
  if (field.actingAs) return html`<label>${field.label}<strong>${field.actingAs}</strong></label>`;
  return html`<label>${field.label}（以其名义）
        <select name="${field.name}" required>
          <option value="">${field.placeholder}</option>
          ${field.choices.map((choice) => option(choice, field.selected))}
        </select>
      </label>`;
}

/** A member as the selects show them: the name, 外部人员, and their posts. */
export const memberLabel = (member: Member) =>
  `${member.name}${member.isOutside ? '（外部人员）' : ''}${member.posts.length > 0 ? ` — ${member.posts.join('、')}` : ''}`;

/** The choices of members among `people`, each labelled as in the member list when it is there. */
export function memberChoices(members: Member[], people: { id: number; name: string }[]): Choice[] {
  return people.map((person) => {
    const member = members.find((candidate) => candidate.id === person.id);
    return { value: String(person.id), label: member ? memberLabel(member) : person.name };
  });
}

/**
 * A panel with a title, the form's error and the form itself, posting to `action` with the session's
 * token (`upload`: as multipart, for a file); `after` follows the form inside the panel.
 */
export function formPanel(
  panel: { title: string; action: string; csrf: string; error: Html | ''; upload?: boolean },
  fields: Html,
  after: Html | '' = '',
): Html {
  return html`<div class="panel">
  <h2 class="flush">${panel.title}</h2>
  ${panel.error}
  <form method="post" action="${panel.action}"${panel.upload ? html` enctype="multipart/form-data"` : ''}>
    <input type="hidden" name="_csrf" value="${panel.csrf}">
    ${fields}
  </form>${after}
</div>`;
}

/**
 * The form of an operation done in someone's name (`actor`: the office's account, or in demo mode a
 * member chosen in the form): the actor, then the other `fields` in columns, then what comes `below` them.
 */
export function operationForm(
  state: { csrf: string; error?: string; actingAs?: string },
  form: { title: string; action: string; actor: Omit<Parameters<typeof actorField>[0], 'actingAs'> },
  fields: Html,
  below: Html,
): Html {
  const panel = { title: form.title, action: form.action, csrf: state.csrf, error: errorFlash(state.error) };
  return formPanel(
    panel,
    html`<div class="cols">
      ${actorField({ ...form.actor, actingAs: state.actingAs })}
      ${fields}
    </div>
    ${below}`,
  );
}
