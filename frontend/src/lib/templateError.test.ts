import { describe, expect, it } from 'vitest';
import { offsetOf, templateError } from './templateError';

describe('templateError', () => {
  it('reads line and column from a body error', () => {
    expect(
      templateError({ code: 'invalid', field: 'body', message: 'line 3, column 14: unknown placeholder "frist_name"' }),
    ).toEqual({ field: 'body', line: 3, column: 14, message: 'unknown placeholder "frist_name"' });
  });

  it('drops the field prefix Go puts before subject and preheader errors', () => {
    expect(templateError({ code: 'invalid', field: 'subject', message: 'subject: line 1, column 7: unclosed tag' })).toEqual({
      field: 'subject',
      line: 1,
      column: 7,
      message: 'unclosed tag',
    });
  });

  it('is null for other errors', () => {
    expect(templateError({ code: 'invalid', field: 'name', message: 'Give the mailing a name.' })).toBeNull();
    expect(templateError({ code: 'internal', field: 'body', message: 'line 1, column 1: x' })).toBeNull();
    expect(templateError({ code: 'invalid', field: undefined, message: 'line 1, column 1: x' })).toBeNull();
  });
});

describe('offsetOf', () => {
  const text = 'Hallo\n{{ frist_name }}\nEnde';
  it('finds line and column', () => {
    expect(offsetOf(text, 1, 1)).toBe(0);
    expect(offsetOf(text, 2, 4)).toBe(9);
    expect(text.slice(offsetOf(text, 2, 4))).toMatch(/^frist/);
  });
  it('clamps to the line and the text', () => {
    expect(offsetOf(text, 1, 99)).toBe(5);
    expect(offsetOf(text, 9, 1)).toBe(text.length);
  });
});
