import { CHANNELS, MEETING_PLACES } from '../../experiments/vocabulary.ts';
import { capitalise, humanise } from '../format.ts';

/**
 * What a work coach does for a person in a given arm: the channel to use, the
 * message script for the arm's tone, the meeting place to offer, and (phase 2)
 * how to run the first meeting. Factors are recognised by their key (channel,
 * tone, meeting_place…) or, failing that, by their level; anything unknown
 * falls back to a plain statement of the level, so a new factor never leaves a
 * coach with nothing to go on.
 */

export type Channel = (typeof CHANNELS)[number];
export type MeetingPlace = (typeof MEETING_PLACES)[number];
export type Tone = 'standard' | 'warm';

export interface Instruction {
  heading: string;
  text: string;
}

export interface ArmInstructions {
  /** One sentence: what to do. */
  summary: string;
  steps: Instruction[];
  script: { title: string; text: string } | null;
  channel: Channel | null;
  meetingPlace: MeetingPlace | null;
  tone: Tone | null;
}

const CHANNEL_KEYS = new Set(['channel', 'contact_channel', 'message_channel', 'medium']);
const TONE_KEYS = new Set(['tone', 'wording', 'framing', 'message', 'message_tone']);
const PLACE_KEYS = new Set(['meeting_place', 'place', 'location', 'venue', 'meeting_location', 'meeting_offer']);
const MESSENGER_KEYS = new Set(['messenger', 'sender', 'from']);
const TIMING_KEYS = new Set(['timing', 'meeting_time', 'time']);
const SAME_COACH_KEYS = new Set(['same_coach', 'continuity', 'coach']);
const FORMAT_KEYS = new Set(['format', 'meeting_format', 'meeting_length', 'length', 'content', 'meeting_content', 'plan', 'plan_type', 'focus']);

const CHANNEL_TEXT: Record<Channel, string> = {
  letter: 'Send a letter.',
  text: 'Send a text message.',
  phone: 'Phone them. If they do not answer, do not leave more than one voicemail.',
  email: 'Send an email.',
  in_person: 'Speak to them in person, for example when they are already at the jobcentre.',
};

const PLACE_TEXT: Record<MeetingPlace, string> = {
  jobcentre: 'Offer a first meeting at the jobcentre.',
  community_venue: 'Offer a first meeting at the community venue, not the jobcentre.',
  home: 'Offer to meet them at home, following the home-visit policy.',
  phone: 'Offer the first meeting as a phone call.',
  online: 'Offer the first meeting online by video. Check they can join, and send the link by the channel they prefer.',
};

const MESSENGER_TEXT: Record<string, string> = {
  dwp: 'Send it as the DWP work coach team.',
  local_authority: 'Send it as the local council’s employment support team, working with DWP.',
  council: 'Send it as the local council’s employment support team, working with DWP.',
  third_sector: 'Send it through the partner charity, in their name.',
  charity: 'Send it through the partner charity, in their name.',
};

const FORMAT_TEXT: Record<string, string> = {
  standard: 'Run the first meeting as usual: about 30 minutes, with the standard agenda.',
  extended: 'Allow about an hour, and let them lead: start with what they want to talk about and get to know them before any talk of work.',
  short: 'Keep the first meeting to about 30 minutes.',
  short_30: 'Keep the first meeting to about 30 minutes.',
  long: 'Allow about an hour for the first meeting.',
  long_60: 'Allow about an hour for the first meeting.',
  getting_to_know_you: 'Spend the first meeting getting to know them: their interests, health and what matters to them. No job search yet.',
  getting_to_know_you_first: 'Spend the first meeting getting to know them: their interests, health and what matters to them. No job search yet.',
  job_focused: 'Talk about work they might want, and the support that would help, from the start.',
  work_focused: 'Talk about work they might want, and the support that would help, from the start.',
  no_plan: 'Do not draw up a plan in the first meeting; agree only whether to meet again.',
  next_meeting_only: 'Agree only the next meeting, not a plan.',
  informal: 'Agree an informal plan together, in their words.',
  informal_plan: 'Agree an informal plan together, in their words.',
  written: 'Write a short plan together and give them a copy.',
  written_plan: 'Write a short plan together and give them a copy.',
  signed: 'Write a plan together, and both sign it.',
  signed_plan: 'Write a plan together, and both sign it.',
};

/** Message scripts by channel and tone. Warm scripts always say it is voluntary and safe for their benefits. */
const SCRIPTS: Record<Tone, Record<'letter' | 'text' | 'phone' | 'email' | 'in_person', string>> = {
  warm: {
    text: 'Hello, this is [your name], a work coach at [jobcentre]. We’re offering a friendly, no-pressure chat about support with work, health or training, whenever you feel ready. It’s completely voluntary: saying yes or no will not affect your benefits in any way. Reply YES and I’ll call you at a time that suits you, or STOP if you’d rather not hear from us.',
    letter:
      'Dear [reference],\n\nI’m [your name], a work coach at [jobcentre]. I’m writing to offer you a friendly chat about any support you might want with work, health, training or confidence, now or in the future.\n\nThis is completely voluntary. Whether you take part or not will not affect your benefits in any way, and you can stop at any time.\n\nIf you’d like to talk, we can meet somewhere that suits you, or speak on the phone. Call or text me on [phone number]. If you’d rather not hear from us again, just let us know and we won’t contact you about this again.\n\nBest wishes,\n[your name]',
    email:
      'Subject: An offer of support, only if you want it\n\nHello,\n\nI’m [your name], a work coach at [jobcentre]. We’re offering a friendly chat about any support you might want with work, health or training, whenever you feel ready.\n\nIt’s completely voluntary: taking part or not will not affect your benefits in any way, and you can stop at any time.\n\nReply to this email or call me on [phone number] if you’d like to talk. If you’d rather not hear from us, just reply “no thanks”.\n\n[your name]',
    phone:
      '“Hello, is that [reference]? My name is [your name], I’m a work coach at [jobcentre]. Is now an OK time to talk for a couple of minutes?\n\nI’m calling because we’re offering a friendly chat about any support you might want with work, health or training. I want to be clear that it’s completely voluntary: saying yes or no won’t affect your benefits in any way.\n\nWould you like to hear a bit more, or would you rather I didn’t call about this again?”',
    in_person:
      '“We’re offering a friendly chat about any support you might want with work, health or training, whenever you feel ready. It’s completely voluntary: taking part or not won’t affect your benefits in any way. Would you like to hear more?”',
  },
  standard: {
    text: 'DWP: You can get support to help you prepare for work. To arrange an appointment with a work coach, call [phone number]. Reply STOP to opt out.',
    letter:
      'Dear [reference],\n\nEmployment support\n\nThe Department for Work and Pensions offers support to help people prepare for, find and stay in work.\n\nTo arrange an appointment with a work coach, please call [phone number] or speak to us at [jobcentre].\n\nThis offer of support is voluntary.\n\nYours sincerely,\n[your name]\nWork coach',
    email:
      'Subject: Employment support\n\nThe Department for Work and Pensions offers support to help people prepare for, find and stay in work. To arrange an appointment with a work coach, call [phone number] or reply to this email. This offer of support is voluntary.',
    phone:
      '“Hello, is that [reference]? I’m calling from the Department for Work and Pensions about employment support. We can offer you an appointment with a work coach to discuss support to prepare for work. Would you like to book one?”',
    in_person:
      '“The Department for Work and Pensions offers employment support. Would you like to book an appointment with a work coach to discuss it?”',
  },
};

function toneOf(level: string): Tone | null {
  if (/warm|reassur|voluntary|friendly|personal/.test(level)) return 'warm';
  if (/standard|formal|control|neutral|current/.test(level)) return 'standard';
  return null;
}

function kindOf(factorKey: string, level: string): 'channel' | 'tone' | 'place' | 'messenger' | 'timing' | 'sameCoach' | 'format' | 'unknown' {
  if (CHANNEL_KEYS.has(factorKey)) return 'channel';
  if (TONE_KEYS.has(factorKey)) return 'tone';
  if (PLACE_KEYS.has(factorKey)) return 'place';
  if (MESSENGER_KEYS.has(factorKey)) return 'messenger';
  if (TIMING_KEYS.has(factorKey)) return 'timing';
  if (SAME_COACH_KEYS.has(factorKey)) return 'sameCoach';
  if (FORMAT_KEYS.has(factorKey)) return 'format';
  // Not a key we know: recognise the level itself.
  if ((CHANNELS as readonly string[]).includes(level) && level !== 'phone') return 'channel';
  if ((MEETING_PLACES as readonly string[]).includes(level) && level !== 'phone') return 'place';
  if (toneOf(level)) return 'tone';
  if (level in MESSENGER_TEXT) return 'messenger';
  if (level in FORMAT_TEXT) return 'format';
  return 'unknown';
}

/** Instructions for an arm, from its levels (factor key → level). */
export function armInstructions(levels: Record<string, string>): ArmInstructions {
  const steps: Instruction[] = [];
  let channel: Channel | null = null;
  let meetingPlace: MeetingPlace | null = null;
  let tone: Tone | null = null;
  const summaryParts: string[] = [];

  for (const [factorKey, level] of Object.entries(levels)) {
    const kind = kindOf(factorKey, level);
    const words = humanise(level);
    if (kind === 'channel' && (CHANNELS as readonly string[]).includes(level)) {
      channel = level as Channel;
      steps.push({ heading: 'Channel', text: CHANNEL_TEXT[channel] });
      summaryParts.push(`contact them by ${words}`);
    } else if (kind === 'tone' && toneOf(level)) {
      tone = toneOf(level);
      steps.push({
        heading: 'Tone',
        text:
          tone === 'warm'
            ? 'Warm and reassuring. Say clearly that taking part is voluntary and will not affect their benefits. Use the script below.'
            : 'The standard DWP wording. Use the script below, without adding reassurances of your own.',
      });
      summaryParts.push(tone === 'warm' ? 'use the warm, voluntary wording' : 'use the standard wording');
    } else if (kind === 'place' && (MEETING_PLACES as readonly string[]).includes(level)) {
      meetingPlace = level as MeetingPlace;
      steps.push({ heading: 'Meeting place to offer', text: PLACE_TEXT[meetingPlace] });
      summaryParts.push(`offer a meeting ${meetingPlace === 'phone' ? 'by phone' : meetingPlace === 'online' ? 'online' : meetingPlace === 'home' ? 'at home' : `at the ${words}`}`);
    } else if (kind === 'messenger' && level in MESSENGER_TEXT) {
      steps.push({ heading: 'Who it comes from', text: MESSENGER_TEXT[level] });
    } else if (kind === 'sameCoach' && /^(yes|same|same_coach|true)$/.test(level)) {
      steps.push({ heading: 'First meeting', text: 'Hold the first meeting yourself, as the coach who made contact.' });
    } else if (kind === 'sameCoach' && /^(no|different|handover|false)$/.test(level)) {
      steps.push({ heading: 'First meeting', text: 'Hand the first meeting over to another coach in the team, and tell the person who they will meet.' });
    } else if (kind === 'timing') {
      steps.push({ heading: 'Meeting time to offer', text: `Offer a ${words} time for the first meeting, and change it if it does not suit them.` });
    } else if (kind === 'format' && level in FORMAT_TEXT) {
      steps.push({ heading: 'First meeting', text: FORMAT_TEXT[level] });
    } else {
      steps.push({
        heading: capitalise(humanise(factorKey)),
        text: `This arm’s ${humanise(factorKey)} is “${words}”. Ask the analyst on the team if you are not sure what to do differently.`,
      });
    }
  }

  let script: ArmInstructions['script'] = null;
  if (tone) {
    const scriptChannel = channel ?? 'letter';
    script = { title: `${tone === 'warm' ? 'Warm, voluntary' : 'Standard'} ${scriptChannel === 'in_person' ? 'conversation' : humanise(scriptChannel)} script`, text: SCRIPTS[tone][scriptChannel] };
  }
  const summary = summaryParts.length > 0 ? `${capitalise(summaryParts.join(', '))}.` : 'Follow the steps for this arm below.';
  return { summary, steps, script, channel, meetingPlace, tone };
}

/**
 * The starting text the design form fills in for an arm (docs/decisions/0036):
 * the built-in steps and script above, as plain text for the analyst to check
 * and rewrite. Coaches see what the analyst saved, never this guess.
 */
export function instructionTemplate(levels: Record<string, string>): { instructions: string; script: string } {
  const built = armInstructions(levels);
  return {
    instructions: [built.summary, ...built.steps.map((s) => `${s.heading}: ${s.text}`)].join('\n'),
    script: built.script?.text ?? '',
  };
}

/** Saved instructions as paragraphs: one a line, blank lines dropped. */
export function instructionParagraphs(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
