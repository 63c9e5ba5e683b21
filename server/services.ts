import type { Clock } from './clock.ts';
import type { Db } from './db/database.ts';
import { createAuthService } from './auth/auth-service.ts';
import { createAuditService } from './audit-service.ts';
import { createExperimentService } from '../experiments/experiment/experiment-service.ts';
import { createContactService } from '../experiments/contacts/contact-service.ts';
import { createAssignmentService } from '../experiments/assignment/assignment-service.ts';
import { createOutcomeService } from '../experiments/outcomes/outcome-service.ts';
import { createCorrectionService } from '../experiments/outcomes/correction-service.ts';
import { createOptInService } from '../experiments/contacts/opt-in-service.ts';
import { createExportService } from '../experiments/export/export-service.ts';
import { progressProjectionFor } from '../experiments/progress/progress-projection.ts';
import { createStaffService } from '../experiments/staff/staff-service.ts';
import { createErasureService } from '../experiments/contacts/contact-erasure-service.ts';
import { defaultAccountSettings, type AccountSettings } from './auth/account-settings.ts';
import { createAccountService } from './auth/account-service.ts';
import { createSignInThrottle, type ThrottleOptions } from './auth/sign-in-throttle.ts';
import { createSignInTokens } from './auth/sign-in-token.ts';
import { createPasswordCheck } from './auth/password-check.ts';
import { createEnrolmentService } from '../experiments/enrolment/enrolment-service.ts';
import { createCaseloadMoveService } from '../experiments/staff/caseload-move-service.ts';

export interface ServiceOptions {
  /** Token and session lifetimes and the sign-in secret (server/auth/account-settings.ts). */
  accounts?: AccountSettings;
  throttle?: ThrottleOptions;
}

/**
 * Every service, built once from the database and clock and passed to the app.
 * Synchronous: the factories only build objects (and fix their SQL texts); every
 * method that reads or writes returns a Promise.
 */
export function createServices(db: Db, clock: Clock, options: ServiceOptions = {}) {
  const experiments = createExperimentService(db, clock);
  const progress = progressProjectionFor(db);
  const settings = options.accounts ?? defaultAccountSettings();
  const auth = createAuthService(db, clock, settings);
  const audit = createAuditService(db, clock);
  const throttle = createSignInThrottle(db, clock, options.throttle);
  const outcomes = createOutcomeService(db, clock, progress);
  const assignments = createAssignmentService(db, clock, experiments, progress);
  return {
    db,
    clock,
    auth,
    audit,
    accounts: createAccountService(db, clock, auth),
    throttle,
    checkPassword: createPasswordCheck(throttle, audit),
    signInTokens: createSignInTokens(settings.secret, clock),
    experiments,
    contacts: createContactService(db, clock),
    assignments,
    enrolments: createEnrolmentService(db, clock, experiments, assignments),
    progress,
    outcomes,
    corrections: createCorrectionService(db, clock, outcomes, progress),
    optIns: createOptInService(db, clock),
    exports: createExportService(db),
    staff: createStaffService(db, clock),
    erasure: createErasureService(db, clock, progress),
    caseloadMoves: createCaseloadMoveService(db, clock),
  };
}

export type Services = ReturnType<typeof createServices>;
