import type { Role } from '../types.ts';

/** Roles to give a member or an invitation. */
export function RoleCheckboxes({
  roles,
  value,
  onChange,
  name,
}: {
  roles: Role[];
  value: string[];
  onChange: (ids: string[]) => void;
  name: string;
}) {
  return (
    <fieldset class="atoms">
      <legend>Roles</legend>
      {roles.map((role) => (
        <label key={role.id} class="check">
          <input
            type="checkbox"
            name={name}
            value={role.id}
            checked={value.includes(role.id)}
            onChange={(e) =>
              onChange(e.currentTarget.checked ? [...value, role.id] : value.filter((id) => id !== role.id))
            }
          />
          {role.name}
        </label>
      ))}
    </fieldset>
  );
}
