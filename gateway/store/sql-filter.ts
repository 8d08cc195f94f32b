/**
 * A WHERE clause from optional filters: each `[condition, value]` whose value is given adds
 * `condition` (one `?`) and its argument. Used by the audit and journal queries of the API.
 */
export function sqlFilter(filters: readonly (readonly [string, string | number | undefined])[]): { where: string; args: (string | number)[] } {
  const where: string[] = ['1 = 1'];
  const args: (string | number)[] = [];
  for (const [condition, value] of filters) {
    if (value === undefined) continue;
    where.push(condition);
    args.push(value);
  }
  return { where: where.join(' AND '), args };
}
