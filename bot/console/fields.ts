// Form fields several console pages share: a select's choices, the actor of an operation, a member's label.
import { html } from 'hono/html';
import type { Member } from '../../db/queries/people.ts';
import type { Html } from './layout.ts';

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
