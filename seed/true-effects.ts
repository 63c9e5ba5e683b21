/**
 * The true effects behind the demo data: every simulated outcome is drawn from
 * these numbers and nothing else, so an analysis of the seeded database can be
 * checked against them (with a large `--contacts`, estimates should land close;
 * with the 3,000-person demo, intervals should cover them about 95% of the time).
 *
 * Rates are probabilities per person assigned (intention to treat) unless they
 * say "given". Where the research gives a figure it is noted; otherwise the
 * number is a plausible guess for illustration, not evidence.
 *
 * Person-level variation: each person's chance of responding is the arm's rate
 * times a propensity built from their characteristics (PROPENSITY below),
 * rescaled to average exactly 1 over the cohort, so the arm rates are the
 * expected rates in the cohort. Work-coach effects are additive, sum to zero
 * over the ten coaches, and caseloads are near equal, so they shift individual
 * coaches' figures but not the arm averages.
 *
 * The history ends at `now`, so people assigned in the last few weeks have not
 * all reached the later stages yet: to check an estimate against these numbers,
 * take people assigned at least five weeks before the end (or use a metric
 * window). In a 100,000-person seed those rates match to within sampling error
 * (e.g. meeting agreed 4.1%, 8.4%, 5.9%, 10.0% for the four channel × tone arms).
 */
export const TRUE_EFFECTS = {
  /**
   * Experiment A, first contact: channel × tone (2 × 2 factorial, no interaction).
   * Standard letters: ~8% respond and ~4% agree a meeting (the EIU proposal's
   * baseline); texts +2 points on each; warm, voluntary-framed wording +3 points
   * on responding and +4 on agreeing. So meeting agreed (the primary metric) is:
   * letter-standard 4%, letter-warm_voluntary 8%, text-standard 6%, text-warm_voluntary 10%.
   */
  channelTone: {
    responded: {
      'letter-standard': 0.08,
      'letter-warm_voluntary': 0.11,
      'text-standard': 0.1,
      'text-warm_voluntary': 0.13,
    },
    meetingAgreed: {
      'letter-standard': 0.04,
      'letter-warm_voluntary': 0.08,
      'text-standard': 0.06,
      'text-warm_voluntary': 0.1,
    },
  },

  /**
   * Experiment B, where the first meeting is offered. Its invitations are all warm,
   * voluntary-framed texts (responded 13%), or the person's preferred channel.
   * Offering a phone call or a community venue makes agreeing slightly more
   * likely, and attending much more likely. Implied meeting attended (primary,
   * per person assigned): jobcentre 10% × 62% = 6.2%; community venue
   * 11% × 74% = 8.1%; phone 12% × 78% = 9.4%.
   */
  meetingPlace: {
    responded: 0.13,
    meetingAgreed: { jobcentre: 0.1, community_venue: 0.11, phone: 0.12 },
  },

  /**
   * Chance an agreed first meeting is attended, by where it is (65–70% overall in
   * line with the proposal; alternative venues and phone higher than the jobcentre).
   * Experiment A offers the jobcentre, or phone / home when the person's reasonable
   * adjustments ask for it.
   */
  attendedGivenAgreed: { jobcentre: 0.62, community_venue: 0.74, phone: 0.78, home: 0.8 },

  /** Why an agreed meeting was missed (recorded without blame). Travel cost never applies to phone or home meetings. */
  notAttendedReasons: {
    unwell_or_in_hospital: 0.45,
    caring_clash: 0.18,
    travel_cost: 0.14,
    message_not_received: 0.13,
    other: 0.1,
  },

  /**
   * Experiment C, format of the first meeting (standard vs an extended
   * getting-to-know-you meeting). Wants to continue (primary): 55% vs 65%.
   * Scores are drawn from these distributions over 1–5 (means: usefulness
   * 3.46 vs 3.74; optimism 3.05 vs 3.27). Scores and wanting to continue are
   * correlated (Gaussian copula, correlation below) without changing these margins.
   * People who met before experiment C launched, or outside it, had the standard meeting.
   */
  firstMeeting: {
    wantsToContinue: { standard: 0.55, extended: 0.65 },
    foundUseful: { standard: [0.06, 0.12, 0.3, 0.34, 0.18], extended: [0.04, 0.08, 0.24, 0.38, 0.26] },
    moreOptimistic: { standard: [0.1, 0.2, 0.35, 0.25, 0.1], extended: [0.07, 0.16, 0.34, 0.29, 0.14] },
    scoreCorrelation: 0.6,
  },

  /**
   * Sustained engagement, by whether the person wanted to continue after the
   * first meeting. Implied engaged at 8 weeks: standard 0.55×0.8×0.8 + 0.45×0.15×0.8
   * = 40.6%; extended 45.8%. Engagement is checked 4, 8 and 13 weeks after the
   * first meeting and only once that time has passed, so people who met recently
   * have no engagement record yet (experiment C began 6 weeks before the end of
   * the history: none of its people has reached 8 weeks).
   */
  engagement: {
    engaged4wGivenContinue: 0.8,
    engaged4wGivenNotContinue: 0.15,
    engaged8wGiven4w: 0.8,
    engaged13wGiven8w: 0.85,
    /** Working alliance (WAI-SR, 12–60) at 4 weeks for people still engaged: normal, clipped. */
    workingAlliance: { standard: { mean: 42, sd: 8 }, extended: { mean: 45, sd: 8 } },
    /** Health self-rating (1–5) at the first meeting. */
    healthSelfRating: [0.18, 0.32, 0.3, 0.15, 0.05],
    disengagedReasons: {
      health_worsened: 0.3,
      caring_responsibilities: 0.1,
      not_the_right_time: 0.25,
      support_not_helpful: 0.1,
      moved_away: 0.05,
      no_reason_given: 0.15,
      other: 0.05,
    },
  },

  /**
   * Job starts are rare: about 4% of this group a year (the proposal). Among people
   * engaged with a coach the yearly rate is assumed higher (20%); a start is
   * recorded only while the person is still engaged, at an exponential waiting
   * time from the first meeting. With ten weeks of history this gives a handful,
   * and nobody has yet reached 13 weeks in work.
   */
  jobStarts: { yearlyRateWhileEngaged: 0.2, stillInWorkAt13w: 0.7, stillInWorkAt26w: 0.6 },

  /** Guardrails, per person contacted. Texts draw slightly more opt-outs than letters; complaints are rare everywhere. */
  harms: { optedOut: { letter: 0.012, text: 0.018, other: 0.015 }, complaint: 0.003 },

  /**
   * Work-coach effects, additive, for WC01..WC10 in order (each sums to zero).
   * They show up in the breakdown by coach, not in the arm averages.
   */
  coachEffects: {
    attended: [0.05, -0.03, 0.02, -0.06, 0.01, 0.04, -0.02, 0, 0.03, -0.04],
    wantsToContinue: [0.04, -0.05, 0.06, -0.02, 0, 0.03, -0.06, 0.02, -0.03, 0.01],
  },
} as const;

/**
 * Relative propensity to respond, by characteristic (multiplied together, then
 * rescaled to average 1 over the cohort). These make subgroup breakdowns show
 * plausible differences; they do not interact with any arm.
 */
export const PROPENSITY = {
  healthGroup: { mental_health: 1, musculoskeletal: 1.05, neurological: 0.95, cardiovascular_respiratory: 1, learning_disability_autism: 0.9, multiple_conditions: 0.85, other: 1 },
  ageBand: { '16-24': 1.15, '25-34': 1.1, '35-49': 1, '50-64': 0.9 },
  caring: { true: 0.85, false: 1 },
  timeOnBenefits: { under_1y: 1.35, '1-2y': 1.15, '2-5y': 1, over_5y: 0.8 },
  previousWork: { never: 0.8, over_5y_ago: 0.95, within_5y: 1.15, within_1y: 1.4 },
} as const;
