/**
 * Safe arithmetic: a small recursive-descent parser for + - * / % ^, parentheses and unary signs.
 * Never `eval`: the expression comes from a language model, which comes from a user.
 */

/** An expression that cannot be evaluated; the message says why, for the model and the user. */
export class CalculatorError extends Error {
  override readonly name = 'CalculatorError';
}

const MAX_LENGTH = 200;

/** Evaluates an arithmetic expression such as `127 * 8` or `(2 + 3) ^ 2 / 5`. */
export function evaluateArithmetic(expression: string): number {
  if (expression.length > MAX_LENGTH) throw new CalculatorError(`expression longer than ${MAX_LENGTH} characters`);
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/%^()]|\S/g) ?? [];
  let position = 0;
  // No quotes in messages: LlamaIndex mangles quotes in tool output it hands to the model.
  const unexpected = (token: string | undefined) => new CalculatorError(`unexpected ${token} at token ${position}`);
  const peek = () => tokens[position];
  const take = () => tokens[position++];

  // expression := term (('+' | '-') term)*
  const parseExpression = (): number => {
    let value = parseTerm();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + parseTerm() : value - parseTerm();
    return value;
  };
  // term := unary (('*' | '/' | '%') unary)*
  const parseTerm = (): number => {
    let value = parseUnary();
    for (let op = peek(); op === '*' || op === '/' || op === '%'; op = peek()) {
      take();
      const right = parseUnary();
      if ((op === '/' || op === '%') && right === 0) throw new CalculatorError('division by zero');
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  // unary := ('+' | '-') unary | power        (so -2^2 is -(2^2))
  const parseUnary = (): number => {
    if (peek() === '-') {
      take();
      return -parseUnary();
    }
    if (peek() === '+') {
      take();
      return parseUnary();
    }
    return parsePower();
  };
  // power := primary ('^' unary)?             (right-associative: 2^3^2 is 2^9)
  const parsePower = (): number => {
    const base = parsePrimary();
    if (peek() !== '^') return base;
    take();
    return base ** parseUnary();
  };
  // primary := number | '(' expression ')'
  const parsePrimary = (): number => {
    const token = take();
    if (token === undefined) throw new CalculatorError('the expression ends too early');
    if (token === '(') {
      const value = parseExpression();
      if (take() !== ')') throw new CalculatorError('a closing parenthesis is missing');
      return value;
    }
    if (/^\d/.test(token)) return Number(token);
    throw unexpected(token);
  };

  if (tokens.length === 0) throw new CalculatorError('the expression is empty');
  const value = parseExpression();
  if (position < tokens.length) {
    position += 1;
    throw unexpected(tokens[position - 1]);
  }
  if (!Number.isFinite(value)) throw new CalculatorError('the result is not a finite number');
  return value;
}

/** A result as people write it: integers plainly, other numbers to at most 10 decimals. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(10)));
}
