/**
 * Tokens of the rule expression language. Columns are 1-based so error messages match what an
 * engineer counts in the YAML string.
 */
export type TokenType = 'number' | 'ident' | 'ref' | 'op' | '(' | ')' | ',' | 'end';

export interface Token {
  type: TokenType;
  text: string;
  column: number;
}

export class ExpressionError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} at column ${column}`);
  }
}

// Bare point ids: letters, digits and "_" in dot-separated parts (bf1.top_pressure). Ids with "-"
// or starting with a digit are written ${1bf-x.top}, so "a-b" is always a subtraction.
const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/y;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const BRACED_REF = /\$\{([A-Za-z0-9][A-Za-z0-9_.-]*)\}/y;
const OPERATORS = ['<=', '>=', '==', '!=', '&&', '||', '<', '>', '+', '-', '*', '/', '!'];

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const match = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    return re.exec(src);
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const column = i + 1;
    let m: RegExpExecArray | null;
    if ((m = match(NUMBER))) {
      // "3s" or "2bf1" would otherwise read as a number followed by a name.
      if (/[A-Za-z_]/.test(src[i + m[0].length] ?? '')) {
        throw new ExpressionError(`invalid number "${m[0]}${src[i + m[0].length]}" (point ids starting with a digit are written \${…})`, column);
      }
      tokens.push({ type: 'number', text: m[0], column });
      i += m[0].length;
    } else if ((m = match(IDENT))) {
      tokens.push({ type: 'ident', text: m[0], column });
      i += m[0].length;
    } else if (ch === '$') {
      if (!(m = match(BRACED_REF))) throw new ExpressionError('a point reference is written ${point.id}', column);
      tokens.push({ type: 'ref', text: m[1]!, column });
      i += m[0].length;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: ch, text: ch, column });
      i++;
    } else {
      const op = OPERATORS.find((o) => src.startsWith(o, i));
      if (!op) {
        const hint = ch === '=' ? ' (use == to compare)' : ch === '&' || ch === '|' ? ` (use ${ch}${ch} or and/or)` : '';
        throw new ExpressionError(`unexpected character "${ch}"${hint}`, column);
      }
      tokens.push({ type: 'op', text: op, column });
      i += op.length;
    }
  }
  tokens.push({ type: 'end', text: 'end of expression', column: src.length + 1 });
  return tokens;
}
