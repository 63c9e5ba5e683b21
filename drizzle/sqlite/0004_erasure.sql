PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_assignment_progress` (
	`experiment_id` integer NOT NULL,
	`assignment_id` integer NOT NULL,
	`contact_id` integer NOT NULL,
	`arm_id` integer NOT NULL,
	`coach_id` integer NOT NULL,
	`health_group` text,
	`age_band` text,
	`sex` text,
	`ethnicity_group` text,
	`caring` integer,
	`time_on_benefits` text,
	`previous_work` text,
	`assigned_day` real NOT NULL,
	`outreach_attempted_day` real,
	`responded_day` real,
	`meeting_agreed_day` real,
	`meeting_attended_day` real,
	`meeting_not_attended_day` real,
	`wants_to_continue_day` real,
	`found_useful_day` real,
	`more_optimistic_day` real,
	`plan_agreed_day` real,
	`topics_covered_day` real,
	`engaged_4w_day` real,
	`engaged_8w_day` real,
	`engaged_13w_day` real,
	`working_alliance_day` real,
	`health_self_rating_day` real,
	`started_work_day` real,
	`in_work_13w_day` real,
	`in_work_26w_day` real,
	`disengaged_day` real,
	`opted_out_day` real,
	`complaint_day` real,
	`found_useful_value` real,
	`more_optimistic_value` real,
	`working_alliance_value` real,
	`health_self_rating_value` real,
	PRIMARY KEY(`experiment_id`, `assignment_id`),
	FOREIGN KEY (`assignment_id`) REFERENCES `assignments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_assignment_progress`("experiment_id", "assignment_id", "contact_id", "arm_id", "coach_id", "health_group", "age_band", "sex", "ethnicity_group", "caring", "time_on_benefits", "previous_work", "assigned_day", "outreach_attempted_day", "responded_day", "meeting_agreed_day", "meeting_attended_day", "meeting_not_attended_day", "wants_to_continue_day", "found_useful_day", "more_optimistic_day", "plan_agreed_day", "topics_covered_day", "engaged_4w_day", "engaged_8w_day", "engaged_13w_day", "working_alliance_day", "health_self_rating_day", "started_work_day", "in_work_13w_day", "in_work_26w_day", "disengaged_day", "opted_out_day", "complaint_day", "found_useful_value", "more_optimistic_value", "working_alliance_value", "health_self_rating_value") SELECT "experiment_id", "assignment_id", "contact_id", "arm_id", "coach_id", "health_group", "age_band", "sex", "ethnicity_group", "caring", "time_on_benefits", "previous_work", "assigned_day", "outreach_attempted_day", "responded_day", "meeting_agreed_day", "meeting_attended_day", "meeting_not_attended_day", "wants_to_continue_day", "found_useful_day", "more_optimistic_day", "plan_agreed_day", "topics_covered_day", "engaged_4w_day", "engaged_8w_day", "engaged_13w_day", "working_alliance_day", "health_self_rating_day", "started_work_day", "in_work_13w_day", "in_work_26w_day", "disengaged_day", "opted_out_day", "complaint_day", "found_useful_value", "more_optimistic_value", "working_alliance_value", "health_self_rating_value" FROM `assignment_progress`;--> statement-breakpoint
DROP TABLE `assignment_progress`;--> statement-breakpoint
ALTER TABLE `__new_assignment_progress` RENAME TO `assignment_progress`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `assignment_progress_assignment_uq` ON `assignment_progress` (`assignment_id`);--> statement-breakpoint
CREATE INDEX `assignment_progress_contact_idx` ON `assignment_progress` (`contact_id`);--> statement-breakpoint
ALTER TABLE `contacts` ADD `erased_at` text;--> statement-breakpoint
-- Hand-written (drizzle-kit does not manage triggers), docs/decisions/0033: an approved text
-- is never changed, except that erasing a person replaces their reference in it. The erasure
-- service writes the 'erasure-redaction' row in job_leases and removes it in the same transaction.
DROP TRIGGER `learning_summary_approvals_immutable`;--> statement-breakpoint
CREATE TRIGGER `learning_summary_approvals_immutable` BEFORE UPDATE ON `learning_summary_approvals`
WHEN NOT (
	EXISTS (SELECT 1 FROM `job_leases` WHERE `job` = 'erasure-redaction')
	AND NEW.`id` = OLD.`id` AND NEW.`summary_id` = OLD.`summary_id`
	AND NEW.`approved_by` = OLD.`approved_by` AND NEW.`approved_at` = OLD.`approved_at`
	AND instr(NEW.`text`, '[reference removed]') > 0
)
BEGIN
	SELECT RAISE(ABORT, 'an approved learning summary cannot be changed: approve a new version instead');
END;
