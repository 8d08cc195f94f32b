import { ExpressionError, tokenize, type Token } from './lexer.js';

/**
 * Grammar (lowest precedence first):
 *   or      := and (("or" | "||") and)*
 *   and     := not (("and" | "&&") not)*
 *   not     := ("not" | "!") not | compare
 *   compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
 *   sum     := product (("+" | "-") product)*
 *   product := unary (("*" | "/") unary)*
 *   unary   := "-" unary | primary
 *   primary := number | true | false | point | fn "(" or ("," or)* ")" | "(" or ")"
 * Comparisons do not chain ("a < b < c" is an error, not a surprise).
 */
export type Node =
  | { k: 'num'; value: number; column: number }
  | { k: 'bool'; value: boolean; column: number }
  | { k: 'ref'; id: string; column: number }
  | { k: 'neg' | 'not'; operand: Node; column: number }
  | { k: 'bin'; op: BinaryOp; left: Node; right: Node; column: number }
  | { k: 'call'; fn: FunctionName; args: Node[]; column: number };

export type BinaryOp = '+' | '-' | '*' | '/' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'and' | 'or';
export const FUNCTIONS = ['abs', 'min', 'max'] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

const KEYWORDS = new Set(['and', 'or', 'not', 'true', 'false']);
const COMPARE = new Set(['<', '<=', '>', '>=', '==', '!=']);

function describe(t: Token): string {
  return t.type === 'end' ? 'end of expression' : `"${t.type === 'ref' ? '${' + t.text + '}' : t.text}"`;
}

export function parse(src: string): Node {
  if (src.trim() === '') throw new ExpressionError('empty expression', 1);
  const tokens = tokenize(src);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const isWord = (t: Token, ...words: string[]) => (t.type === 'op' || t.type === 'ident') && words.includes(t.text);
  const unexpected = (t: Token): never => {
    throw new ExpressionError(`unexpected ${t.type === 'end' ? 'end of expression' : `token ${describe(t)}`}`, t.column);
  };

  function or(): Node {
    let left = and();
    while (isWord(peek(), 'or', '||')) {
      const t = next();
      left = { k: 'bin', op: 'or', left, right: and(), column: t.column };
    }
    return left;
  }
  function and(): Node {
    let left = not();
    while (isWord(peek(), 'and', '&&')) {
      const t = next();
      left = { k: 'bin', op: 'and', left, right: not(), column: t.column };
    }
    return left;
  }
  function not(): Node {
    if (isWord(peek(), 'not', '!')) {
      const t = next();
      return { k: 'not', operand: not(), column: t.column };
    }
    return compare();
  }
  function compare(): Node {
    const left = sum();
    const t = peek();
    if (t.type === 'op' && COMPARE.has(t.text)) {
      next();
      const node: Node = { k: 'bin', op: t.text as BinaryOp, left, right: sum(), column: t.column };
      const after = peek();
      if (after.type === 'op' && COMPARE.has(after.text)) {
        throw new ExpressionError(`comparisons cannot be chained; write "a < b and b < c"`, after.column);
      }
      return node;
    }
    return left;
  }
  function sum(): Node {
    let left = product();
    while (peek().type === 'op' && (peek().text === '+' || peek().text === '-')) {
      const t = next();
      left = { k: 'bin', op: t.text as BinaryOp, left, right: product(), column: t.column };
    }
    return left;
  }
  function product(): Node {
    let left = unary();
    while (peek().type === 'op' && (peek().text === '*' || peek().text === '/')) {
      const t = next();
      left = { k: 'bin', op: t.text as BinaryOp, left, right: unary(), column: t.column };
    }
    return left;
  }
  function unary(): Node {
    if (peek().type === 'op' && peek().text === '-') {
      const t = next();
      return { k: 'neg', operand: unary(), column: t.column };
    }
    return primary();
  }
  function primary(): Node {
    const t = next();
    switch (t.type) {
      case 'number':
        return { k: 'num', value: Number(t.text), column: t.column };
      case 'ref':
        return { k: 'ref', id: t.text, column: t.column };
      case '(': {
        const inner = or();
        const close = next();
        if (close.type !== ')') throw new ExpressionError(`expected ")" to close "(" at column ${t.column}, found ${describe(close)}`, close.column);
        return inner;
      }
      case 'ident': {
        if (t.text === 'true' || t.text === 'false') return { k: 'bool', value: t.text === 'true', column: t.column };
        if (peek().type === '(') {
          if (!(FUNCTIONS as readonly string[]).includes(t.text)) {
            throw new ExpressionError(`unknown function "${t.text}" (available: ${FUNCTIONS.join(', ')})`, t.column);
          }
          next();
          const args: Node[] = [];
          if (peek().type !== ')') {
            args.push(or());
            while (peek().type === ',') {
              next();
              args.push(or());
            }
          }
          const close = next();
          if (close.type !== ')') throw new ExpressionError(`expected "," or ")" in call of ${t.text}, found ${describe(close)}`, close.column);
          return { k: 'call', fn: t.text as FunctionName, args, column: t.column };
        }
        if (KEYWORDS.has(t.text)) return unexpected(t);
        return { k: 'ref', id: t.text, column: t.column };
      }
      default:
        return unexpected(t);
    }
  }

  const root = or();
  if (peek().type !== 'end') unexpected(peek());
  return root;
}
