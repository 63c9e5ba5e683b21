import type { Clock } from './clock.ts';
import type { Db } from './db/client.ts';
import { createAuthService } from './auth/auth-service.ts';
import { createAuditService } from './audit-service.ts';
import { createExperimentService } from '../experiments/experiment/experiment-service.ts';
import { createContactService } from '../experiments/contacts/contact-service.ts';
import { createAssignmentService } from '../experiments/assignment/assignment-service.ts';
import { createOutcomeService } from '../experiments/outcomes/outcome-service.ts';
import { createExportService } from '../experiments/export/export-service.ts';
import { progressProjectionFor } from '../experiments/progress/progress-projection.ts';
import { createStaffService } from '../experiments/staff/staff-service.ts';
import { createEnrolmentService } from '../experiments/enrolment/enrolment-service.ts';
import { createCaseloadMoveService } from '../experiments/staff/caseload-move-service.ts';

/** Every service, built once from the database and clock and passed to the app. */
export function createServices(db: Db, clock: Clock) {
  const experiments = createExperimentService(db, clock);
  const progress = progressProjectionFor(db);
  const assignments = createAssignmentService(db, clock, experiments, progress);
  return {
    db,
    clock,
    auth: createAuthService(db, clock),
    audit: createAuditService(db, clock),
    experiments,
    contacts: createContactService(db, clock),
    assignments,
    enrolments: createEnrolmentService(db, clock, experiments, assignments),
    progress,
    outcomes: createOutcomeService(db, clock, progress),
    exports: createExportService(db),
    staff: createStaffService(db, clock),
    caseloadMoves: createCaseloadMoveService(db, clock),
  };
}

export type Services = ReturnType<typeof createServices>;
