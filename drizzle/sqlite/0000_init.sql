CREATE TABLE `api_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`label` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text,
	`revoked_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `assignment_progress` (
	`experiment_id` integer NOT NULL,
	`assignment_id` integer NOT NULL,
	`contact_id` integer NOT NULL,
	`arm_id` integer NOT NULL,
	`coach_id` integer NOT NULL,
	`health_group` text NOT NULL,
	`age_band` text NOT NULL,
	`sex` text NOT NULL,
	`ethnicity_group` text NOT NULL,
	`caring` integer NOT NULL,
	`time_on_benefits` text NOT NULL,
	`previous_work` text NOT NULL,
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
CREATE UNIQUE INDEX `assignment_progress_assignment_uq` ON `assignment_progress` (`assignment_id`);--> statement-breakpoint
CREATE INDEX `assignment_progress_contact_idx` ON `assignment_progress` (`contact_id`);--> statement-breakpoint
CREATE TABLE `assignments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`experiment_id` integer NOT NULL,
	`contact_id` integer NOT NULL,
	`arm_id` integer NOT NULL,
	`phase_id` integer NOT NULL,
	`method` text NOT NULL,
	`seed` text NOT NULL,
	`hash_value` real,
	`stratum` text,
	`block_index` integer,
	`block_position` integer,
	`assigned_at` text NOT NULL,
	`assigned_by` integer,
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`arm_id`) REFERENCES `experiment_arms`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`phase_id`) REFERENCES `experiment_phases`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assigned_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `assignments_experiment_contact_uq` ON `assignments` (`experiment_id`,`contact_id`);--> statement-breakpoint
CREATE INDEX `assignments_experiment_arm_idx` ON `assignments` (`experiment_id`,`arm_id`);--> statement-breakpoint
CREATE INDEX `assignments_experiment_phase_arm_idx` ON `assignments` (`experiment_id`,`phase_id`,`arm_id`);--> statement-breakpoint
CREATE INDEX `assignments_contact_idx` ON `assignments` (`contact_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer,
	`action` text NOT NULL,
	`entity` text NOT NULL,
	`entity_id` text,
	`at` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at`);--> statement-breakpoint
CREATE TABLE `block_counters` (
	`phase_id` integer NOT NULL,
	`stratum` text NOT NULL,
	`block_index` integer DEFAULT 0 NOT NULL,
	`block_position` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`phase_id`) REFERENCES `experiment_phases`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `block_counters_pk` ON `block_counters` (`phase_id`,`stratum`);--> statement-breakpoint
CREATE TABLE `contact_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`contact_id` integer NOT NULL,
	`field` text NOT NULL,
	`old_value` text,
	`new_value` text,
	`changed_by` integer,
	`changed_at` text NOT NULL,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`changed_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `contact_changes_contact_idx` ON `contact_changes` (`contact_id`);--> statement-breakpoint
CREATE TABLE `contacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`reference` text NOT NULL,
	`coach_id` integer NOT NULL,
	`site_id` integer NOT NULL,
	`health_group` text NOT NULL,
	`age_band` text NOT NULL,
	`sex` text NOT NULL,
	`ethnicity_group` text NOT NULL,
	`caring` integer NOT NULL,
	`time_on_benefits` text NOT NULL,
	`previous_work` text NOT NULL,
	`benefit_type` text NOT NULL,
	`preferred_channel` text,
	`adjustments` text DEFAULT '[]' NOT NULL,
	`opted_out_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`coach_id`) REFERENCES `work_coaches`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `contacts_reference_unique` ON `contacts` (`reference`);--> statement-breakpoint
CREATE INDEX `contacts_coach_idx` ON `contacts` (`coach_id`);--> statement-breakpoint
CREATE TABLE `demo_credentials` (
	`username` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`password` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `experiment_arms` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`experiment_id` integer NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`is_control` integer DEFAULT false NOT NULL,
	`levels` text NOT NULL,
	`position` integer NOT NULL,
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `experiment_arms_key_uq` ON `experiment_arms` (`experiment_id`,`key`);--> statement-breakpoint
CREATE TABLE `experiment_phases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`experiment_id` integer NOT NULL,
	`number` integer NOT NULL,
	`seed` text NOT NULL,
	`arm_ids` text NOT NULL,
	`weights` text NOT NULL,
	`coverage` real DEFAULT 1 NOT NULL,
	`started_at` text NOT NULL,
	`ended_at` text,
	`reason` text,
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `experiment_phases_number_uq` ON `experiment_phases` (`experiment_id`,`number`);--> statement-breakpoint
CREATE TABLE `experiments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`name` text NOT NULL,
	`hypothesis` text NOT NULL,
	`journey_phase` integer NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`factors` text NOT NULL,
	`eligibility` text DEFAULT '{}' NOT NULL,
	`primary_metric` text NOT NULL,
	`secondary_metrics` text DEFAULT '[]' NOT NULL,
	`guardrail_metrics` text DEFAULT '[]' NOT NULL,
	`planned_sample_size` integer,
	`randomisation` text DEFAULT 'hash' NOT NULL,
	`strata` text DEFAULT '[]' NOT NULL,
	`created_by` integer,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`launched_at` text,
	`concluded_at` text,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `experiments_key_unique` ON `experiments` (`key`);--> statement-breakpoint
CREATE TABLE `learning_notes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`author_id` integer NOT NULL,
	`note` text NOT NULL,
	`experiment_id` integer,
	`arm_id` integer,
	`created_at` text NOT NULL,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`arm_id`) REFERENCES `experiment_arms`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `outcome_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`contact_id` integer NOT NULL,
	`stage` text NOT NULL,
	`value` real,
	`detail` text,
	`occurred_at` text NOT NULL,
	`recorded_at` text NOT NULL,
	`recorded_by` integer NOT NULL,
	`idempotency_key` text NOT NULL,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`recorded_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outcome_events_idempotency_key_unique` ON `outcome_events` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `outcome_events_contact_stage_idx` ON `outcome_events` (`contact_id`,`stage`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `outcome_events_stage_idx` ON `outcome_events` (`stage`,`contact_id`);--> statement-breakpoint
CREATE TABLE `progress_tallies` (
	`experiment_id` integer NOT NULL,
	`dimension` text NOT NULL,
	`dimension_value` text NOT NULL,
	`stage` text NOT NULL,
	`arm_id` integer NOT NULL,
	`day` integer NOT NULL,
	`people` integer NOT NULL,
	`value_sum` real DEFAULT 0 NOT NULL,
	`value_sum_squares` real DEFAULT 0 NOT NULL,
	PRIMARY KEY(`experiment_id`, `dimension`, `dimension_value`, `stage`, `arm_id`, `day`)
);
--> statement-breakpoint
CREATE TABLE `projection_checkpoints` (
	`source` text PRIMARY KEY NOT NULL,
	`last_id` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `report_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`week_ending` text NOT NULL,
	`content` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `report_snapshots_week_ending_unique` ON `report_snapshots` (`week_ending`);--> statement-breakpoint
CREATE TABLE `screenings` (
	`experiment_id` integer NOT NULL,
	`contact_id` integer NOT NULL,
	`reason` text NOT NULL,
	`screened_at` text NOT NULL,
	PRIMARY KEY(`experiment_id`, `contact_id`),
	FOREIGN KEY (`experiment_id`) REFERENCES `experiments`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` integer NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sites` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sites_code_unique` ON `sites` (`code`);--> statement-breakpoint
CREATE UNIQUE INDEX `sites_name_unique` ON `sites` (`name`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username` text NOT NULL,
	`display_name` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`disabled_at` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_username_unique` ON `users` (`username`);--> statement-breakpoint
CREATE TABLE `work_coaches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer,
	`code` text NOT NULL,
	`name` text NOT NULL,
	`site_id` integer NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `work_coaches_user_id_unique` ON `work_coaches` (`user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `work_coaches_code_unique` ON `work_coaches` (`code`);