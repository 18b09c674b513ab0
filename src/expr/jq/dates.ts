/**
 * Date builtins. jq's "broken down time" is [year, month (0–11), day, hours, minutes,
 * seconds (may be fractional), weekday, day of year]. UTC throughout, except `localtime`,
 * `strflocaltime` and `mktime`'s inverse `localtime`, which use the host's time zone through
 * `Date` (the only time-zone database every runtime has).
 */
import type { Native } from './code.ts';
import * as errorsModule from './errors.ts';
const fail: typeof errorsModule.fail = errorsModule.fail;
import * as valuesModule from './values.ts';
const { typeAndValue } = valuesModule;

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

function dayOfYear(y: number, m: number, d: number): number {
  return Math.round((Date.UTC(y, m, d) - Date.UTC(y, 0, 1)) / 86400000);
}

export function gmtime(v: unknown): number[] {
  if (typeof v !== 'number') return fail('gmtime() requires numeric inputs');
  // like jq: whole seconds truncate toward zero, the fraction is v - floor(v)
  const secs = Math.trunc(v);
  const d = new Date(secs * 1000);
  if (isNaN(d.getTime())) return fail('gmtime() requires a valid time');
  const y = d.getUTCFullYear();
  return [
    y,
    d.getUTCMonth(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds() + (v - Math.floor(v)),
    d.getUTCDay(),
    dayOfYear(y, d.getUTCMonth(), d.getUTCDate()),
  ];
}

function localtime(v: unknown): number[] {
  if (typeof v !== 'number') return fail('localtime() requires numeric inputs');
  const secs = Math.floor(v);
  const d = new Date(secs * 1000);
  if (isNaN(d.getTime())) return fail('localtime() requires a valid time');
  const y = d.getFullYear();
  return [
    y,
    d.getMonth(),
    d.getDate(),
    d.getHours(),
    d.getMinutes(),
    d.getSeconds() + (v - secs),
    d.getDay(),
    dayOfYear(y, d.getMonth(), d.getDate()),
  ];
}

function brokenDown(v: unknown, who: string): number[] {
  if (!Array.isArray(v) || v.length < 6) return fail(`${who} requires array of 6 numbers`);
  if (!v.every((x) => typeof x === 'number')) return fail(`${who} requires parsed datetime inputs`);
  return v as number[];
}

export function mktime(v: unknown): number {
  if (!Array.isArray(v)) return fail('mktime requires array of 6 numbers');
  const t = brokenDown(v, 'mktime');
  const ms = Date.UTC(t[0], t[1], t[2], t[3], t[4], Math.floor(t[5]));
  return Math.floor(ms / 1000);
}

function pad(n: number, w: number, c = '0'): string {
  return String(n).padStart(w, c);
}

function isoWeek(y: number, yday: number, wday: number): { year: number; week: number } {
  const wdayMon = (wday + 6) % 7; // Monday = 0
  let week = Math.floor((yday - wdayMon + 10) / 7);
  let year = y;
  const weeksIn = (yr: number): number => {
    const jan1 = new Date(Date.UTC(yr, 0, 1)).getUTCDay();
    const leap = (yr % 4 === 0 && yr % 100 !== 0) || yr % 400 === 0;
    return jan1 === 4 || (leap && jan1 === 3) ? 53 : 52;
  };
  if (week < 1) {
    year = y - 1;
    week = weeksIn(year);
  } else if (week > weeksIn(y)) {
    year = y + 1;
    week = 1;
  }
  return { year, week };
}

function strftime(v: unknown, fmt: unknown, local: boolean): string {
  if (typeof fmt !== 'string') return fail(`${local ? 'strflocaltime' : 'strftime'}/1 requires a string format`);
  const t = typeof v === 'number' ? (local ? localtime(v) : gmtime(v)) : v;
  if (!Array.isArray(t)) return fail(`${local ? 'strflocaltime' : 'strftime'}/1 requires parsed datetime inputs`);
  const [Y, M, D, h, m, sRaw] = brokenDown(t, local ? 'strflocaltime/1' : 'strftime/1');
  const s = Math.floor(sRaw);
  const date = new Date(Date.UTC(Y, M, D, h, m, s));
  const wday = date.getUTCDay();
  const yday = dayOfYear(Y, M, D);
  const epoch = Math.floor(date.getTime() / 1000);
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const d = fmt[++i];
    switch (d) {
      case 'Y': out += Y; break;
      case 'C': out += pad(Math.floor(Y / 100), 2); break;
      case 'y': out += pad(Y % 100, 2); break;
      case 'm': out += pad(M + 1, 2); break;
      case 'd': out += pad(D, 2); break;
      case 'e': out += pad(D, 2, ' '); break;
      case 'H': out += pad(h, 2); break;
      case 'k': out += pad(h, 2, ' '); break;
      case 'I': out += pad(h % 12 === 0 ? 12 : h % 12, 2); break;
      case 'l': out += pad(h % 12 === 0 ? 12 : h % 12, 2, ' '); break;
      case 'M': out += pad(m, 2); break;
      case 'S': out += pad(s, 2); break;
      case 'j': out += pad(yday + 1, 3); break;
      case 'Z': out += local ? localZoneName(epoch) : 'UTC'; break;
      case 'z': out += local ? localOffset(epoch) : '+0000'; break;
      case 'a': out += DAYS[wday].slice(0, 3); break;
      case 'A': out += DAYS[wday]; break;
      case 'b':
      case 'h': out += MONTHS[M].slice(0, 3); break;
      case 'B': out += MONTHS[M]; break;
      case 'p': out += h < 12 ? 'AM' : 'PM'; break;
      case 'P': out += h < 12 ? 'am' : 'pm'; break;
      case 'c': out += `${DAYS[wday].slice(0, 3)} ${MONTHS[M].slice(0, 3)} ${pad(D, 2, ' ')} ${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)} ${Y}`; break;
      case 'D':
      case 'x': out += `${pad(M + 1, 2)}/${pad(D, 2)}/${pad(Y % 100, 2)}`; break;
      case 'F': out += `${Y}-${pad(M + 1, 2)}-${pad(D, 2)}`; break;
      case 'T':
      case 'X': out += `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}`; break;
      case 'R': out += `${pad(h, 2)}:${pad(m, 2)}`; break;
      case 'r': out += `${pad(h % 12 === 0 ? 12 : h % 12, 2)}:${pad(m, 2)}:${pad(s, 2)} ${h < 12 ? 'AM' : 'PM'}`; break;
      case 's': out += epoch; break;
      case 'u': out += wday === 0 ? 7 : wday; break;
      case 'w': out += wday; break;
      case 'U': out += pad(Math.floor((yday + 7 - wday) / 7), 2); break;
      case 'W': out += pad(Math.floor((yday + 7 - ((wday + 6) % 7)) / 7), 2); break;
      case 'V': out += pad(isoWeek(Y, yday, wday).week, 2); break;
      case 'G': out += isoWeek(Y, yday, wday).year; break;
      case 'g': out += pad(isoWeek(Y, yday, wday).year % 100, 2); break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '%': out += '%'; break;
      default: out += '%' + (d ?? '');
    }
  }
  return out;
}

function localOffset(epoch: number): string {
  const off = -new Date(epoch * 1000).getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${sign}${pad(Math.floor(a / 60), 2)}${pad(a % 60, 2)}`;
}

function localZoneName(epoch: number): string {
  const off = new Date(epoch * 1000).getTimezoneOffset();
  return off === 0 ? 'UTC' : localOffset(epoch);
}

function strptime(v: unknown, fmt: unknown): number[] {
  if (typeof v !== 'string') return fail(`strptime/1 requires string inputs and arguments`);
  if (typeof fmt !== 'string') return fail(`strptime/1 requires string inputs and arguments`);
  let Y = 1900;
  let M = 0;
  let D = 1;
  let h = 0;
  let m = 0;
  let s = 0;
  let pm: boolean | null = null;
  let offset = 0;
  let pos = 0;
  const bad = (): never => fail(`date "${v}" does not match format "${fmt}"`);
  const num = (maxLen: number, allowSign = false): number => {
    const re = new RegExp(`^${allowSign ? '[+-]?' : ''}\\d{1,${maxLen}}`);
    const mm = re.exec(v.slice(pos));
    if (!mm) bad();
    pos += mm![0].length;
    return Number(mm![0]);
  };
  const word = (list: string[]): number => {
    const rest = v.slice(pos).toLowerCase();
    for (let k = 0; k < list.length; k++) {
      const full = list[k].toLowerCase();
      if (rest.startsWith(full)) {
        pos += full.length;
        return k;
      }
      if (rest.startsWith(full.slice(0, 3))) {
        pos += 3;
        return k;
      }
    }
    return bad();
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c === ' ') {
      while (pos < v.length && /\s/.test(v[pos])) pos++;
      continue;
    }
    if (c !== '%') {
      if (v[pos] !== c) bad();
      pos++;
      continue;
    }
    const d = fmt[++i];
    switch (d) {
      case 'Y': Y = num(4, true); break;
      case 'm': M = num(2) - 1; break;
      case 'd':
      case 'e': while (v[pos] === ' ') pos++; D = num(2); break;
      case 'H':
      case 'k': while (v[pos] === ' ') pos++; h = num(2); break;
      case 'I':
      case 'l': while (v[pos] === ' ') pos++; h = num(2); break;
      case 'M': m = num(2); break;
      case 'S': s = num(2); break;
      case 'y': { const yy = num(2); Y = yy < 69 ? 2000 + yy : 1900 + yy; break; }
      case 'j': { const yd = num(3); M = 0; D = yd; break; }
      case 'a':
      case 'A': word(DAYS); break;
      case 'b':
      case 'B':
      case 'h': M = word(MONTHS); break;
      case 'p': {
        const ap = v.slice(pos, pos + 2).toUpperCase();
        if (ap !== 'AM' && ap !== 'PM') bad();
        pm = ap === 'PM';
        pos += 2;
        break;
      }
      case 'z': {
        const mm = /^(Z|[+-]\d{2}:?\d{2})/.exec(v.slice(pos));
        if (!mm) bad();
        pos += mm![0].length;
        if (mm![0] !== 'Z') {
          const sign = mm![0][0] === '-' ? -1 : 1;
          const digits = mm![0].slice(1).replace(':', '');
          offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60;
        }
        break;
      }
      case 'Z': {
        const mm = /^[A-Za-z]+/.exec(v.slice(pos));
        if (!mm) bad();
        pos += mm![0].length;
        break;
      }
      case 's': {
        const t = gmtime(num(20, true));
        [Y, M, D, h, m, s] = t;
        break;
      }
      case 'T': {
        h = num(2);
        if (v[pos++] !== ':') bad();
        m = num(2);
        if (v[pos++] !== ':') bad();
        s = num(2);
        break;
      }
      case 'F':
      case 'D': {
        if (d === 'F') {
          Y = num(4, true);
          if (v[pos++] !== '-') bad();
          M = num(2) - 1;
          if (v[pos++] !== '-') bad();
          D = num(2);
        } else {
          M = num(2) - 1;
          if (v[pos++] !== '/') bad();
          D = num(2);
          if (v[pos++] !== '/') bad();
          const yy = num(2);
          Y = yy < 69 ? 2000 + yy : 1900 + yy;
        }
        break;
      }
      case 'n':
      case 't':
        while (pos < v.length && /\s/.test(v[pos])) pos++;
        break;
      case '%':
        if (v[pos++] !== '%') bad();
        break;
      default:
        bad();
    }
  }
  if (pos !== v.length) bad();
  if (pm !== null) h = (h % 12) + (pm ? 12 : 0);
  void offset; // glibc's strptime parses %z but does not apply it to the broken-down time
  const t = new Date(Date.UTC(Y, M, D, h, m, s));
  const y = t.getUTCFullYear();
  return [y, t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds(), t.getUTCDay(), dayOfYear(y, t.getUTCMonth(), t.getUTCDate())];
}

export const DATES: Record<string, Native> = {
  'gmtime/0': { fn: gmtime },
  'localtime/0': { fn: localtime },
  'mktime/0': { fn: mktime },
  'strftime/1': { fn: (v, f) => strftime(v, f, false) },
  'strflocaltime/1': { fn: (v, f) => strftime(v, f, true) },
  'strptime/1': { fn: strptime },
  'todate/0': { fn: (v) => strftime(v, '%Y-%m-%dT%H:%M:%SZ', false) },
  'todateiso8601/0': { fn: (v) => strftime(v, '%Y-%m-%dT%H:%M:%SZ', false) },
  'fromdateiso8601/0': { fn: (v) => mktime(strptime(v, '%Y-%m-%dT%H:%M:%SZ')) },
  'fromdate/0': { fn: (v) => mktime(strptime(v, '%Y-%m-%dT%H:%M:%SZ')) },
  'date/0': { fn: (v) => strftime(v, '%Y-%m-%dT%H:%M:%SZ', false) },
  'dateadd/2': { fn: (v, _u, n) => (typeof v === 'number' && typeof n === 'number' ? v + n : fail(`${typeAndValue(v)} cannot be added`)) },
  'datesub/2': { fn: (v, _u, n) => (typeof v === 'number' && typeof n === 'number' ? v - n : fail(`${typeAndValue(v)} cannot be subtracted`)) },
};
