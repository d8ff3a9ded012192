/** The "still accepting?" lines of an agency's reminder mail (modules/capacity/capacity-link.ts makes the link). */
export function capacityReminderLines(link: string): string[] {
  return [
    'Still accepting referrals? Tell us in one click, or tell us about a waiting list or a closure:',
    link,
  ];
}
