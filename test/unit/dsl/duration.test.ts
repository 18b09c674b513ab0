import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationToMs, isoDurationProblem } from '../../../src/dsl/index.ts';

describe('durationToMs', () => {
  it('reads ISO 8601 durations', () => {
    expect(durationToMs('PT1H30M')).toBe(5_400_000);
    expect(durationToMs('P7D')).toBe(7 * 86_400_000);
    expect(durationToMs('P1W')).toBe(7 * 86_400_000);
    expect(durationToMs('PT0.5S')).toBe(500);
    expect(durationToMs('P1DT2H3M4.25S')).toBe(86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4_250);
  });

  it('reads inline durations', () => {
    expect(durationToMs({ seconds: 10 })).toBe(10_000);
    expect(durationToMs({ days: 1, hours: 2, minutes: 3, seconds: 4, milliseconds: 5 })).toBe(93_784_005);
  });

  it('refuses what has no fixed length or is not a literal', () => {
    expect(() => durationToMs('P1Y')).toThrow(/years or months/);
    expect(() => durationToMs('P2M')).toThrow(/years or months/);
    expect(() => durationToMs('${ .delay }')).toThrow(RangeError);
    expect(() => durationToMs('PT')).toThrow(/not an ISO 8601 duration/);
    expect(() => durationToMs('1h')).toThrow(/not an ISO 8601 duration/);
    expect(isoDurationProblem('PT5M')).toBeUndefined();
  });

  it('agrees between the ISO and inline forms', () => {
    const part = fc.nat({ max: 1000 });
    fc.assert(
      fc.property(part, part, part, part, (d, h, m, s) => {
        const iso = `P${d}DT${h}H${m}M${s}S`;
        expect(durationToMs(iso)).toBe(durationToMs({ days: d, hours: h, minutes: m, seconds: s }));
      }),
    );
  });
});
