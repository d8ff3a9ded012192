/**
 * The project's own demo checklist: 18 yes/no questions under four headings, shaped like a
 * London SAIL checklist. Wording and partners are illustrative, not any borough's own. Benefits
 * and debts go to one information and advice team, so one "yes" to each makes ONE referral.
 */
export interface SeedAgency {
  key: string;
  name: string;
  email: string;
  phone: string;
  contactDays?: number;
}

export const SEED_AGENCIES: SeedAgency[] = [
  { key: 'fire', name: 'Fire & rescue: home fire safety visits', email: 'home-safety@fire.example.org', phone: '020 7946 0001' },
  { key: 'police', name: 'Police: safer neighbourhoods team', email: 'safer-neighbourhoods@police.example.org', phone: '020 7946 0002' },
  { key: 'telecare', name: 'Council telecare service', email: 'telecare@council.example.org', phone: '020 7946 0003' },
  { key: 'falls', name: 'Falls prevention service', email: 'falls@health.example.org', phone: '020 7946 0004' },
  { key: 'smoking', name: 'Stop smoking service', email: 'stop-smoking@health.example.org', phone: '020 7946 0005' },
  { key: 'drugs', name: 'Drug and alcohol service', email: 'recovery@health.example.org', phone: '020 7946 0006' },
  { key: 'befriending', name: 'Befriending service', email: 'befriending@vcf.example.org', phone: '020 7946 0007' },
  { key: 'active', name: 'Active ageing classes', email: 'active-ageing@leisure.example.org', phone: '020 7946 0008' },
  { key: 'memory', name: 'Memory and dementia support', email: 'memory@vcf.example.org', phone: '020 7946 0009' },
  { key: 'carers', name: 'Carers centre', email: 'referrals@carers.example.org', phone: '020 7946 0010' },
  { key: 'meals', name: 'Lunch clubs and meals service', email: 'meals@vcf.example.org', phone: '020 7946 0011' },
  { key: 'handyperson', name: 'Handyperson service', email: 'handyperson@council.example.org', phone: '020 7946 0012' },
  { key: 'warmth', name: 'Warm homes energy advice', email: 'warm-homes@energy.example.org', phone: '020 7946 0013' },
  { key: 'housing', name: 'Housing options team', email: 'housing-options@council.example.org', phone: '020 7946 0014' },
  { key: 'sensory', name: 'Sensory support service', email: 'sensory@council.example.org', phone: '020 7946 0015' },
  { key: 'advice', name: 'Information and advice (benefits and debt)', email: 'advice@hub.example.org', phone: '020 7946 0016', contactDays: 10 },
  { key: 'planning', name: 'Later-life planning advice', email: 'planning@advice.example.org', phone: '020 7946 0017' },
];

export const SEED_SECTIONS: { title: string; questions: { text: string; agency: string }[] }[] = [
  {
    title: 'Security and fire safety',
    questions: [
      { text: 'Would you like a free home fire safety visit, including smoke alarms?', agency: 'fire' },
      { text: 'Are you worried about crime, scams or doorstep callers?', agency: 'police' },
      { text: 'Would a personal alarm or telecare help you feel safer at home?', agency: 'telecare' },
    ],
  },
  {
    title: 'Health and wellbeing',
    questions: [
      { text: 'Have you had a fall, or are you worried about falling?', agency: 'falls' },
      { text: 'Would you like help to stop smoking?', agency: 'smoking' },
      { text: 'Are you worried about how much you or someone you live with drinks or uses drugs?', agency: 'drugs' },
      { text: 'Do you often feel lonely or isolated?', agency: 'befriending' },
      { text: 'Would you like to be more active, for example a gentle exercise class?', agency: 'active' },
      { text: 'Are you or your family worried about your memory?', agency: 'memory' },
      { text: 'Do you look after someone who could not manage without you?', agency: 'carers' },
      { text: 'Do you sometimes go without a hot meal, or find shopping hard?', agency: 'meals' },
    ],
  },
  {
    title: 'Living conditions',
    questions: [
      { text: 'Does your home need small repairs or adaptations (rails, key safe)?', agency: 'handyperson' },
      { text: 'Is your home hard to keep warm?', agency: 'warmth' },
      { text: 'Are you worried about your housing or about losing your home?', agency: 'housing' },
      { text: 'Do you have trouble with your sight or hearing that is not being helped?', agency: 'sensory' },
    ],
  },
  {
    title: 'Income and finance',
    questions: [
      { text: 'Would you like a free benefits check?', agency: 'advice' },
      { text: 'Are you worried about debts or paying bills?', agency: 'advice' },
      { text: 'Would you like help to plan for the future (wills, power of attorney)?', agency: 'planning' },
    ],
  },
];
