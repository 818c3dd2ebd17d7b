import { expect } from 'chai';
import { CalculatorError, evaluateArithmetic, formatNumber } from '#examples/chat-server/calculator';
import { arithmeticIn } from '#examples/chat-server/scripted-model';

describe('example: the calculator and the scripted model’s reading of arithmetic', () => {
  it('evaluates arithmetic with the usual precedence, without eval', () => {
    const cases: [string, number][] = [
      ['127 * 8', 1016],
      ['1016 / 4', 254],
      ['2 + 3 * 4', 14],
      ['(2 + 3) * 4', 20],
      ['-2^2', -4],
      ['2^3^2', 512],
      ['2^-1', 0.5],
      ['7 % 4 + 0.5', 3.5],
    ];
    for (const [expression, value] of cases) expect(evaluateArithmetic(expression), expression).to.equal(value);
    expect(formatNumber(0.1 + 0.2)).to.equal('0.3');
  });

  it('refuses what is not arithmetic, saying why', () => {
    const cases: [string, RegExp][] = [
      ['2 +* 3', /unexpected \* at token 3/],
      ['(1 + 2', /closing parenthesis is missing/],
      ['1 / 0', /division by zero/],
      ['process.exit(1)', /unexpected p at token 1/],
      ['', /empty/],
      ['9'.repeat(400), /longer than 200/],
      ['10^400', /not a finite number/],
    ];
    for (const [expression, message] of cases)
      expect(() => evaluateArithmetic(expression), expression).to.throw(CalculatorError, message);
  });

  it('finds arithmetic in a question the way the guide asks it', () => {
    expect(arithmeticIn('What is 127 multiplied by 8?')).to.equal('127 * 8');
    expect(arithmeticIn('And what is 1016 divided by 4?')).to.equal('1016 / 4');
    expect(arithmeticIn('calculate: 2 +* 3')).to.equal('2 +* 3');
    expect(arithmeticIn('Hello! Can you help me with some math?')).to.equal(undefined);
    expect(arithmeticIn('I am 30 years old')).to.equal(undefined);
  });
});
