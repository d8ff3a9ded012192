/**
 * A time of day as people type it in the hub's country: "2.30pm", "2:30 pm", "2pm", "12 noon",
 * "14:30", "14.30", "1430", "09:05". The one reading of a typed time for every form. Pure.
 */
export interface TimeOfDay {
  hour: number;
  minute: number;
}

// hours, then minutes (after ":" or ".", or straight on as in "1430"), then am or pm
const TIME = /^([0-9]{1,2})(?:[:.]?([0-9]{2}))?(am|pm)?$/;

/**
 * The hour (0-23) and minute a typed time names, or undefined when it names none. With am or pm
 * the hour is 1 to 12 and the minutes may be left out ("2pm"; "12am" is midnight, "12pm" midday);
 * without, it is the 24-hour clock, with two digits for the hour and the minutes ("14:30",
 * "1430", "09:05"). "2.30" is refused: people write it for half past two in the afternoon as
 * often as in the night, and a time read 12 hours wrong would put a referral's clocks wrong.
 */
export function parseTimeOfDay(text: string): TimeOfDay | undefined {
  const s = text
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '')
    .replace(/([ap])\.?m\.?$/, '$1m');
  if (s === 'midday' || s === 'noon' || s === '12noon') return { hour: 12, minute: 0 };
  if (s === 'midnight' || s === '12midnight') return { hour: 0, minute: 0 };
  const m = TIME.exec(s);
  if (!m) return undefined;
  const [hour, minute, half] = [Number(m[1]), m[2] === undefined ? undefined : Number(m[2]), m[3]];
  if (minute !== undefined && minute > 59) return undefined;
  if (half) {
    if (hour < 1 || hour > 12) return undefined;
    return { hour: (hour % 12) + (half === 'pm' ? 12 : 0), minute: minute ?? 0 };
  }
  if (minute === undefined || m[1]!.length !== 2 || hour > 23) return undefined;
  return { hour, minute };
}

/** A time of day as the hub's forms show it: "14:30". */
export function formatTimeOfDay(t: TimeOfDay): string {
  return `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
}
