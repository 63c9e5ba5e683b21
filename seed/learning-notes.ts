/**
 * Reflective notes the demo coaches "wrote" during the trials. Non-identifying
 * by design: no names, dates of birth, addresses or details that could point to
 * a person. `daysAgo` places each note before the end of the history. Notes
 * stay in the learning log: ministers read only the weekly summaries built
 * from the lessons (seed/learning-summaries.ts).
 */
export interface DemoNote {
  daysAgo: number;
  /** Index into the demo coaches (0 = WC01). */
  coach: number;
  note: string;
  /** What the analyst drew from the note for that week's approved summary, in aggregate language. */
  lesson: string;
  experiment?: string;
  arm?: string;
}

export const DEMO_LEARNING_NOTES: DemoNote[] = [
  {
    daysAgo: 66,
    coach: 0,
    note: 'Two people rang after the warm text just to check it really would not affect their benefits. Once reassured, both booked a first chat.',
    lesson: 'People sent the warm text sometimes rang first to check that taking part would not affect their benefits. Once reassured, they went on to book a first chat.',
    experiment: 'channel-tone',
    arm: 'text-warm_voluntary',
  },
  {
    daysAgo: 63,
    coach: 3,
    note: 'The standard letter reads like a summons. One person said they had put it in a drawer for a week before opening it.',
    lesson: 'The standard letter can read like a summons: coaches heard of letters left unopened for days.',
    experiment: 'channel-tone',
    arm: 'letter-standard',
  },
  {
    daysAgo: 59,
    coach: 6,
    note: 'Several texts bounced: numbers on the system are out of date for people who have been on benefits a long time. Worth checking before the next intake.',
    lesson: 'Phone numbers on the system are often out of date for people who have been on benefits a long time, so some texts did not arrive. Numbers are worth checking before the next intake.',
  },
  {
    daysAgo: 55,
    coach: 1,
    note: 'Replies to the warm letter were longer and more open. People told me what they were worried about before we had even met.',
    lesson: 'Replies to the warm letter were longer and more open, with people sharing their worries before the first meeting.',
    experiment: 'channel-tone',
    arm: 'letter-warm_voluntary',
  },
  {
    daysAgo: 50,
    coach: 4,
    note: 'Meeting at the community hub felt much less formal. Nobody had to queue past security, and the room was quiet.',
    lesson: 'Meetings at the community venue felt less formal than at the jobcentre: no queue past security, and a quieter room.',
    experiment: 'meeting-place',
    arm: 'community_venue',
  },
  {
    daysAgo: 47,
    coach: 8,
    note: 'Phone meetings suit people having a bad day: a couple who would have cancelled a jobcentre visit still spoke to me.',
    lesson: 'Phone meetings suit people having a bad day: some who would have cancelled a visit still took part.',
    experiment: 'meeting-place',
    arm: 'phone',
  },
  {
    daysAgo: 44,
    coach: 2,
    note: 'Missed meetings this week were mostly people unwell on the day. Offering to rearrange straight away, with no pressure, went down well.',
    lesson: 'Most missed meetings were because people were unwell on the day. Offering to rearrange straight away, with no pressure, was welcomed.',
  },
  {
    daysAgo: 40,
    coach: 5,
    note: 'Travel cost came up twice for jobcentre meetings. The bus fare is a real barrier when money is this tight.',
    lesson: 'The cost of travel is a real barrier to meetings at the jobcentre when money is tight.',
    experiment: 'meeting-place',
    arm: 'jobcentre',
  },
  {
    daysAgo: 36,
    coach: 7,
    note: 'The extended first meeting gave time to talk about what the person enjoys, not just what they cannot do. The conversation changed tone halfway through.',
    lesson: 'Extended first meetings left time to talk about what people enjoy, not only about what they cannot do.',
    experiment: 'first-meeting-format',
    arm: 'extended',
  },
  {
    daysAgo: 31,
    coach: 9,
    note: 'Standard first meetings feel rushed when someone has a lot going on. I ran out of time before we got to what they wanted from the support.',
    lesson: 'Standard-length first meetings can feel rushed when someone has a lot going on, and can end before reaching what people want from the support.',
    experiment: 'first-meeting-format',
    arm: 'standard',
  },
  {
    daysAgo: 27,
    coach: 0,
    note: 'Asking about caring responsibilities early helps: we agreed times that fit around school runs and hospital appointments.',
    lesson: 'Asking about caring responsibilities early helps to agree meeting times that fit around school runs and appointments.',
  },
  {
    daysAgo: 22,
    coach: 3,
    note: 'People in the extended meeting asked more questions about training and volunteering. Early days, but it feels like a different starting point.',
    lesson: 'People in extended first meetings asked more about training and volunteering. It is early days.',
    experiment: 'first-meeting-format',
    arm: 'extended',
  },
  {
    daysAgo: 16,
    coach: 6,
    note: 'Easy-read versions of the invitation made a difference for people with a learning disability; their support workers said so too.',
    lesson: 'Easy-read invitations helped people who find standard letters hard to read, and their support workers agreed.',
  },
  {
    daysAgo: 9,
    coach: 2,
    note: 'Worth remembering that "still engaged" includes people taking a break for health reasons who plan to come back.',
    lesson: '“Still engaged” includes people taking a break for their health who plan to come back.',
  },
  {
    daysAgo: 3,
    coach: 5,
    note: 'Team reflection: reassurance that this is voluntary and safe for benefits matters more than which channel we use.',
    lesson: 'Reassurance that taking part is voluntary and safe for benefits matters more than which channel is used.',
  },
];
