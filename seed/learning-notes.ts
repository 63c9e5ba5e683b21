/**
 * Reflective notes the demo coaches "wrote" during the trials. Non-identifying
 * by design: no names, dates of birth, addresses or details that could point to
 * a person. `daysAgo` places each note before the end of the history.
 */
export interface DemoNote {
  daysAgo: number;
  /** Index into the demo coaches (0 = WC01). */
  coach: number;
  note: string;
  experiment?: string;
  arm?: string;
}

export const DEMO_LEARNING_NOTES: DemoNote[] = [
  {
    daysAgo: 66,
    coach: 0,
    note: 'Two people rang after the warm text just to check it really would not affect their benefits. Once reassured, both booked a first chat.',
    experiment: 'channel-tone',
    arm: 'text-warm_voluntary',
  },
  {
    daysAgo: 63,
    coach: 3,
    note: 'The standard letter reads like a summons. One person said they had put it in a drawer for a week before opening it.',
    experiment: 'channel-tone',
    arm: 'letter-standard',
  },
  { daysAgo: 59, coach: 6, note: 'Several texts bounced: numbers on the system are out of date for people who have been on benefits a long time. Worth checking before the next intake.' },
  {
    daysAgo: 55,
    coach: 1,
    note: 'Replies to the warm letter were longer and more open. People told me what they were worried about before we had even met.',
    experiment: 'channel-tone',
    arm: 'letter-warm_voluntary',
  },
  {
    daysAgo: 50,
    coach: 4,
    note: 'Meeting at the community hub felt much less formal. Nobody had to queue past security, and the room was quiet.',
    experiment: 'meeting-place',
    arm: 'community_venue',
  },
  {
    daysAgo: 47,
    coach: 8,
    note: 'Phone meetings suit people having a bad day: a couple who would have cancelled a jobcentre visit still spoke to me.',
    experiment: 'meeting-place',
    arm: 'phone',
  },
  { daysAgo: 44, coach: 2, note: 'Missed meetings this week were mostly people unwell on the day. Offering to rearrange straight away, with no pressure, went down well.' },
  {
    daysAgo: 40,
    coach: 5,
    note: 'Travel cost came up twice for jobcentre meetings. The bus fare is a real barrier when money is this tight.',
    experiment: 'meeting-place',
    arm: 'jobcentre',
  },
  {
    daysAgo: 36,
    coach: 7,
    note: 'The extended first meeting gave time to talk about what the person enjoys, not just what they cannot do. The conversation changed tone halfway through.',
    experiment: 'first-meeting-format',
    arm: 'extended',
  },
  {
    daysAgo: 31,
    coach: 9,
    note: 'Standard first meetings feel rushed when someone has a lot going on. I ran out of time before we got to what they wanted from the support.',
    experiment: 'first-meeting-format',
    arm: 'standard',
  },
  { daysAgo: 27, coach: 0, note: 'Asking about caring responsibilities early helps: we agreed times that fit around school runs and hospital appointments.' },
  {
    daysAgo: 22,
    coach: 3,
    note: 'People in the extended meeting asked more questions about training and volunteering. Early days, but it feels like a different starting point.',
    experiment: 'first-meeting-format',
    arm: 'extended',
  },
  { daysAgo: 16, coach: 6, note: 'Easy-read versions of the invitation made a difference for people with a learning disability; their support workers said so too.' },
  { daysAgo: 9, coach: 2, note: 'Worth remembering that "still engaged" includes people taking a break for health reasons who plan to come back.' },
  { daysAgo: 3, coach: 5, note: 'Team reflection: reassurance that this is voluntary and safe for benefits matters more than which channel we use.' },
];
