/**
 * 统一社会信用代码 (GB 32100-2015): 18 characters from a 31-character alphabet; the last one is a
 * check character over the first 17 with weights 3^i mod 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function usccCheckChar(first17: string): string | undefined {
  if (first17.length !== 17) return undefined;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = ALPHABET.indexOf(first17[i]!);
    if (v < 0) return undefined;
    sum += v * WEIGHTS[i]!;
  }
  const c = (31 - (sum % 31)) % 31;
  return ALPHABET[c];
}

/** Returns undefined when the code is valid, else the reason in words. */
export function usccProblem(code: string): string | undefined {
  if (code.length !== 18) return `a unified social credit code has 18 characters, got ${code.length}`;
  const bad = [...code].find((ch) => !ALPHABET.includes(ch));
  if (bad !== undefined) return `character "${bad}" is not allowed in a unified social credit code (0-9 and A-Y without I, O, S, V, Z)`;
  const expected = usccCheckChar(code.slice(0, 17));
  if (expected !== code[17]) return `check character should be "${expected}", got "${code[17]}"`;
  return undefined;
}
