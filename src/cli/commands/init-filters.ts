/**
 * How init writes names into the trigger filters of a workflow: as literal filter patterns, in
 * quoted YAML scalars. Pure functions, used only by init.
 */

/**
 * A literal name as a GitHub filter pattern (`on.push.branches`, `on.push.paths`), which matches
 * that name and nothing else. GitHub reads `*`, `**`, `?`, `+` and `[ ]` anywhere and `!` at the
 * start as pattern syntax, and `\` escapes them (workflow syntax, "Filter pattern cheat sheet"):
 * unescaped, `data/q1 [2024].csv` is a character class that never matches the file itself.
 * A `]` is left as it is: with every `[` escaped no class is open, so it is literal, and actionlint
 * refuses `\]` in a branch filter (it allows escaping only `[ ? * + \ !`).
 * Example: `literalFilterPattern('data/q1 [2024]/churn*v2.csv')` is `data/q1 \[2024]/churn\*v2.csv`.
 */
export function literalFilterPattern(name: string): string {
  // A backslash of the name is escaped too, or it would escape the character after it.
  return name.replace(/[*?+[\\]/g, '\\$&').replace(/^!/, '\\!');
}

/**
 * `text` as a YAML double-quoted scalar, which reads back as exactly `text`. JSON's string syntax
 * is YAML's double-quoted one, except that YAML allows no C1 control character unescaped, so
 * those are written as `\uXXXX` as well (JSON already escapes everything below U+0020).
 */
export function yamlQuoted(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Why git would refuse `name` as a branch name, or undefined when it is one: the rules of
 * `git check-ref-format --branch` (git-check-ref-format(1)) for `refs/heads/<name>`, checked here
 * so a name never reaches a workflow unchecked. Names with filter or YAML syntax in them (`x]y`,
 * `a+b`, `!x`, `{a}`, `a,b`) are valid: literalFilterPattern and yamlQuoted make them literal.
 * Example: `branchNameProblem('a..b')` is `it contains '..'`.
 */
export function branchNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  // git branch refuses these even where refs/heads/<name> itself would be well formed.
  if (name.startsWith('-')) return "it starts with '-'";
  if (name === 'HEAD') return "it is 'HEAD'";
  if (name === '@') return "it is '@'";
  // Control characters, space, DEL and ~ ^ : ? * [ \ are never allowed.
  const bad = [...name].find((c) => c <= ' ' || c === '\u007f' || '~^:?*[\\'.includes(c));
  if (bad !== undefined) return `it contains ${JSON.stringify(bad)}`;
  if (name.includes('..')) return "it contains '..'";
  if (name.includes('@{')) return "it contains '@{'";
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return "it has an empty part between '/'s";
  if (name.endsWith('.')) return "it ends with '.'";
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `its part '${part}' starts with '.'`;
    if (part.endsWith('.lock')) return `its part '${part}' ends with '.lock'`;
  }
  return undefined;
}
