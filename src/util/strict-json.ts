import { evaluate, parse } from '@humanwhocodes/momoa';

type Node = ReturnType<typeof parse>['body'];

/**
 * JSON.parse that refuses duplicate keys. `JSON.parse` silently keeps the last of two equal keys,
 * so a diff a reviewer reads (`"type": "promoted"`) can differ from what the code sees (a later
 * `"type": "rolled_back"`). Every registry file goes through here.
 */
export function parseStrictJson(text: string, source: string): unknown {
  let ast: ReturnType<typeof parse>;
  try {
    ast = parse(text, { mode: 'json', ranges: false, tokens: false });
  } catch (error) {
    throw new SyntaxError(`${source} is not valid JSON (${(error as Error).message}).`);
  }
  findDuplicate(ast.body, '', source);
  return evaluate(ast);
}

function findDuplicate(node: Node, path: string, source: string): void {
  if (node.type === 'Object') {
    const seen = new Set<string>();
    for (const member of node.members) {
      const key = member.name.type === 'String' ? member.name.value : String(member.name.name);
      const here = path ? `${path}.${key}` : key;
      if (seen.has(key)) {
        const line = member.loc?.start.line;
        throw new SyntaxError(
          `${source} has the key '${here}' twice${line ? ` (again on line ${line})` : ''}; expected each key once. A duplicate key lets the diff a reviewer reads differ from what is parsed.`,
        );
      }
      seen.add(key);
      findDuplicate(member.value as Node, here, source);
    }
  } else if (node.type === 'Array') {
    node.elements.forEach((element, i) => {
      findDuplicate(element.value as Node, `${path}[${i}]`, source);
    });
  }
}
