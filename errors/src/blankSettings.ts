/**
 * What a configuration error says of a setting whose value is only whitespace (`PORT= ` in an env file).
 * Every settings reader refuses such a value with this text rather than letting zod's number coercion read it as 0
 * (`PORT=' '` listened on a random port, `MAX_COST=' '` refused every operation).
 */
export const BLANK_SETTING_MESSAGE = 'only whitespace; give a value, or leave it empty for the default';

/**
 * The one rule every Roam settings reader (gateway, operation limits, subgraphs) applies to raw values before
 * validating them: an empty string counts as unset, a value of only whitespace is refused.
 *
 * @param raw - variable name → value as read from the environment or a flag (undefined when not set).
 * @returns `input`: the values to validate, with empty and whitespace-only ones as undefined (so no other error is
 *   reported for them); `blank`: the names whose value was only whitespace, in `raw`'s order, each to be reported
 *   with {@link BLANK_SETTING_MESSAGE}.
 */
export function blankSettings(raw: Readonly<Record<string, string | undefined>>): { input: Record<string, string | undefined>; blank: string[] } {
  const input: Record<string, string | undefined> = {};
  const blank: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined && value !== '' && value.trim() === '') blank.push(name);
    input[name] = value === undefined || value.trim() === '' ? undefined : value;
  }
  return { input, blank };
}
