/** WCAG AA: every console rule that sets both a text colour and a background keeps 4.5:1 or more. */
import { expect, test } from 'vitest';
import { css } from '../../../src/console/assets.ts';

const luminance = (hex: string) => {
  const full = hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join('')}` : hex;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(full.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};
const ratio = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

test('text/background pairs in the stylesheet are at least 4.5:1', () => {
  const rules = [...css.matchAll(/([^{}]+)\{([^}]*)\}/g)].map(([, selector, body]) => ({ selector: selector.trim(), body }));
  const pairs = rules.flatMap(({ selector, body }) => {
    const bg = /background:(#[0-9a-f]{3,6})\b/i.exec(body)?.[1];
    const fg = /(?:^|;)color:(#[0-9a-f]{3,6})\b/i.exec(body)?.[1];
    return bg && fg ? [{ selector, bg, fg }] : [];
  });
  expect(pairs.length).toBeGreaterThan(8);
  for (const p of pairs) expect(ratio(p.fg, p.bg), p.selector).toBeGreaterThanOrEqual(4.5);
  // Body text, muted text and links on the page background.
  for (const fg of ['#1a1c1f', '#4a4f57', '#0b57d0']) expect(ratio(fg, '#ffffff')).toBeGreaterThanOrEqual(4.5);
});
